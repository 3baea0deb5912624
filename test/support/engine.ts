/**
 * Runs the real decision path (static store → gather → evaluate/score) for a table case and
 * returns results keyed by node name, in the shape the tables assert.
 */
import { StaticStore } from '../../src/cluster/static.js';
import type { KubeObject, Node, Pod } from '../../src/cluster/types.js';
import { type DriverEntry, loadConfig } from '../../src/config/config.js';
import { gatherPodFacts } from '../../src/facts/gather.js';
import { evaluateNode, type PodFacts, scoreKeys, scoreNode } from '../../src/topology/evaluate.js';
import type { NodeView } from '../../src/topology/source.js';

export type Want = 'fits' | readonly string[];

export interface EngineCase {
  readonly name: string;
  readonly objects: readonly KubeObject[];
  readonly pod: Pod;
  readonly nodes: readonly Node[];
  /** Driver entries merged field by field over the built-in presets (like a config file). */
  readonly drivers?: Readonly<Record<string, DriverEntry>>;
}

const builtin = loadConfig();

export function driversWith(over: Readonly<Record<string, DriverEntry>> = {}): Record<string, DriverEntry> {
  const out: Record<string, DriverEntry> = { ...builtin.drivers };
  for (const [k, v] of Object.entries(over)) out[k] = { ...out[k], ...v };
  return out;
}

function views(nodes: readonly Node[]): NodeView[] {
  return nodes.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }));
}

/** Gathers the case's pod facts against a store holding its objects and nodes. */
export function factsFor(tc: EngineCase): PodFacts {
  const store = new StaticStore();
  for (const o of [...tc.objects, ...tc.nodes]) store.add(o);
  const byName = new Map(views(tc.nodes).map((v) => [v.name, v]));
  return gatherPodFacts({ pod: tc.pod, store, drivers: driversWith(tc.drivers), lookupNode: (n) => byName.get(n) })
    .facts;
}

/** `v` renamed and stripped of every label outside `keys`. */
function projected(v: NodeView, keys: ReadonlySet<string>): NodeView {
  return {
    name: `${v.name}-renamed`,
    labels: Object.fromEntries(Object.entries(v.labels).filter(([k]) => keys.has(k))),
  };
}

/**
 * Throws unless every check that declares `keys` keeps its promise on these nodes: the same result
 * for the node renamed and stripped of every label outside `keys` (the filter reuses one node's
 * result for all nodes whose labels agree on `keys`).
 */
export function assertKeysPromise(facts: PodFacts, nodes: readonly NodeView[]): void {
  for (const check of facts.checks) {
    if (check.test === undefined || check.keys === undefined) continue;
    const keys = new Set(check.keys);
    for (const v of nodes) {
      if (check.test(v) !== check.test(projected(v, keys))) {
        throw new Error(
          `check ${check.reason.code} reads more than its keys [${check.keys.join(', ')}] on node ${v.name}`,
        );
      }
    }
  }
}

/** `{node: 'fits' | [reason codes]}` for every node of the case (and checks `assertKeysPromise`). */
export function verdicts(tc: EngineCase): Record<string, Want> {
  const facts = factsFor(tc);
  assertKeysPromise(facts, views(tc.nodes));
  const out: Record<string, Want> = {};
  for (const v of views(tc.nodes)) {
    const verdict = evaluateNode(facts, v);
    out[v.name] = verdict.fits ? 'fits' : verdict.reasons.map((r) => r.code);
  }
  return out;
}

/** `{node: score}` for every node of the case (and checks that scores read only `scoreKeys`). */
export function scores(tc: EngineCase): Record<string, number> {
  const facts = factsFor(tc);
  const keys = new Set(scoreKeys(facts));
  for (const v of views(tc.nodes)) {
    if (scoreNode(facts, v) !== scoreNode(facts, projected(v, keys))) {
      throw new Error(`the score of node ${v.name} reads more than [${[...keys].join(', ')}]`);
    }
  }
  return Object.fromEntries(views(tc.nodes).map((v) => [v.name, scoreNode(facts, v)]));
}
