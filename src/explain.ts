/**
 * `source-affinity explain`: evaluates one pod against nodes and reports, per node, whether it
 * fits, why not, and its prioritize score — the same decisions the extender makes.
 */
import { labelsOf } from './cluster/access.js';
import type { ClusterStore } from './cluster/store.js';
import type { Pod } from './cluster/types.js';
import type { DriverEntry } from './config/config.js';
import { gatherFacts } from './extender/decide.js';
import { noopObserver } from './observability/observer.js';
import { constrains, evaluateNode, scoreNode } from './topology/evaluate.js';
import { type Reason, ReasonCode, reason } from './topology/reasons.js';
import type { NodeView } from './topology/source.js';

export interface NodeExplanation {
  readonly name: string;
  readonly fits: boolean;
  readonly score: number;
  readonly reasons: readonly Reason[];
}

export interface Explanation {
  readonly pod: string;
  readonly nodes: readonly NodeExplanation[];
  readonly notes?: readonly string[];
}

/**
 * Explains `pod` against `nodeNames` (default: every node in the store, in store order). A listed
 * name the store does not know fits no node when the pod is constrained (as in NodeNames mode).
 * Does I/O only through a live store's read-through.
 */
export async function explainPod(
  pod: Pod,
  store: ClusterStore,
  config: { readonly drivers: Readonly<Record<string, DriverEntry>>; readonly cannotDecide: 'fail' | 'allow' },
  nodeNames?: readonly string[],
): Promise<Explanation> {
  const views: (NodeView | string)[] = (nodeNames ?? store.listNodes().map((n) => n.metadata?.name ?? '')).map(
    (name) => {
      const node = store.getNode(name);
      return node ? { name, labels: labelsOf(node) } : name;
    },
  );
  const lookupNode = (name: string) => {
    const node = store.getNode(name);
    return node ? { name, labels: labelsOf(node) } : undefined;
  };
  const facts = await gatherFacts(pod, { store, config, observer: noopObserver }, lookupNode);
  const constrained = constrains(facts);
  const nodes = views.map((v): NodeExplanation => {
    if (typeof v === 'string') {
      const fits = !constrained;
      const reasons = fits ? [] : [reason(ReasonCode.NodeNotKnown, `node "${v}" is not in the cluster state`)];
      return { name: v, fits, score: 0, reasons };
    }
    const verdict = evaluateNode(facts, v);
    return {
      name: v.name,
      fits: verdict.fits,
      score: scoreNode(facts, v),
      reasons: verdict.fits ? [] : verdict.reasons,
    };
  });
  const notes = [
    ...facts.undecidable.map((u) => `cannot decide (cannotDecide: ${config.cannotDecide}): ${u}`),
    ...facts.notes,
  ];
  if (constrained && nodes.length > 0 && nodes.every((n) => !n.fits)) {
    notes.push('no node fits: every node fails at least one claim (see the reasons per node)');
  }
  return { pod: facts.pod, nodes, ...(notes.length > 0 ? { notes } : {}) };
}

/** Human-readable table: one aligned row per node, then the notes. */
export function formatTable(e: Explanation): string {
  const rows = e.nodes.map((n) => [
    n.name,
    n.fits ? 'yes' : 'no',
    String(n.score),
    n.reasons.map((r) => `${r.code}: ${r.message}`).join('; '),
  ]);
  const header = ['NODE', 'FITS', 'SCORE', 'REASONS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [`pod ${e.pod}`, line(header), ...rows.map(line)];
  for (const note of e.notes ?? []) out.push(`note: ${note}`);
  return `${out.join('\n')}\n`;
}
