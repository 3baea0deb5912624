/**
 * The decisions behind POST /filter and POST /prioritize, independent of HTTP: gather the pod's
 * facts (reading missing objects through a live store when it can), evaluate each candidate node,
 * and build the reply body. Also used by `explain`.
 */
import { type ClusterStore, type ReadThroughResult, refKey } from '../cluster/store.js';
import type { Labels, Pod } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { gatherPodFacts } from '../facts/gather.js';
import type { Logger } from '../observability/logger.js';
import type { RequestObserver } from '../observability/observer.js';
import { constrains, evaluateNode, type PodFacts, scoreNode, type Verdict } from '../topology/evaluate.js';
import { ReasonCode, reason } from '../topology/reasons.js';
import type { NodeView } from '../topology/source.js';
import type { DecodedArgs } from './decode.js';
import {
  encodeFilterAllNodes,
  encodeFilterError,
  encodeFilterNames,
  encodeFilterNodes,
  encodePriorities,
} from './encode.js';
import type { FailedNodesMap } from './wire.js';

export interface DecideDeps {
  readonly store: ClusterStore;
  readonly config: Pick<Config, 'drivers' | 'cannotDecide'>;
  readonly observer: RequestObserver;
}

const EMPTY: Labels = Object.freeze({});

function nodeLabels(node: { metadata?: { labels?: unknown } } | undefined): Labels {
  const l = node?.metadata?.labels;
  return l && typeof l === 'object' && !Array.isArray(l) ? (l as Labels) : EMPTY;
}

/**
 * Gathers the pod's facts; when the store missed objects and can read them through, reads them and
 * gathers again, so a claim created a moment before its pod is decided from the real object. Does
 * I/O only through `store.readThrough`.
 */
export async function gatherFacts(
  pod: Pod,
  deps: DecideDeps,
  lookupNode: (name: string) => NodeView | undefined,
  log?: Logger,
): Promise<PodFacts> {
  const input = { pod, store: deps.store, drivers: deps.config.drivers, lookupNode };
  const first = gatherPodFacts(input);
  if (first.misses.length === 0 || !deps.store.readThrough) return first.facts;
  let result: ReadThroughResult;
  try {
    result = await deps.store.readThrough(first.misses);
  } catch (err) {
    deps.observer.error('read_through');
    log?.warn({ err }, 'read-through failed');
    result = new Map(first.misses.map((r) => [refKey(r), { status: 'error', message: String(err) }]));
  }
  const unreadable = new Map<string, string>();
  for (const [key, r] of result) if (r.status === 'error') unreadable.set(key, r.message);
  return gatherPodFacts({ ...input, unreadable }).facts;
}

/** The filter verdicts for the candidate nodes, keyed by name, in input order. */
export function verdicts(facts: PodFacts, nodes: readonly NodeView[]): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  for (const n of nodes) out.set(n.name, evaluateNode(facts, n));
  return out;
}

function joinReasons(v: Verdict): string {
  return v.fits ? '' : v.reasons.map((r) => r.message).join('; ');
}

/** A reply body, and whether it carries `Error` (the extender could not decide). */
export interface Reply {
  readonly body: string;
  readonly outcome: 'ok' | 'error';
}

/** The reply for POST /filter. */
export async function filter(args: DecodedArgs, deps: DecideDeps, log: Logger): Promise<Reply> {
  const lookupNode = nodeLookup(args, deps.store);
  const facts = await gatherFacts(args.pod, deps, lookupNode, log);
  if (facts.undecidable.length > 0) {
    deps.observer.error('cannot_decide');
    if (deps.config.cannotDecide === 'fail') {
      log.warn({ undecidable: facts.undecidable }, 'cannot decide: failing this scheduling attempt');
      return {
        body: encodeFilterError(`source-affinity cannot decide: ${facts.undecidable.join('; ')}`),
        outcome: 'error',
      };
    }
    log.warn({ undecidable: facts.undecidable }, 'cannot decide: letting the claims through (cannotDecide: allow)');
  }
  if (!constrains(facts)) {
    deps.observer.fastPath('filter');
    const all = args.mode === 'nodes' ? args.nodes.length : args.nodeNames.length;
    deps.observer.filterNodes(all, 0);
    const body =
      args.mode === 'nodes' ? encodeFilterAllNodes(args.nodeListJson()) : encodeFilterNames(args.nodeNames, {});
    return { body, outcome: 'ok' };
  }
  const failed: FailedNodesMap = {};
  const codes: Record<string, number> = {};
  const reject = (name: string, v: Verdict) => {
    if (v.fits) return;
    failed[name] = joinReasons(v);
    for (const r of v.reasons) {
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      deps.observer.rejection(r.code);
    }
    log.debug({ node: name, reasons: v.reasons }, 'node rejected');
  };
  let passed: number;
  let body: string;
  if (args.mode === 'nodes') {
    const passing = args.nodes.filter((n) => {
      const v = evaluateNode(facts, n);
      reject(n.name, v);
      return v.fits;
    });
    passed = passing.length;
    body = encodeFilterNodes(passing, failed);
  } else {
    const passing: string[] = [];
    for (const name of args.nodeNames) {
      const node = deps.store.getNode(name);
      const v: Verdict = node
        ? evaluateNode(facts, { name, labels: nodeLabels(node) })
        : {
            fits: false,
            reasons: [reason(ReasonCode.NodeNotKnown, `node "${name}" is not known to source-affinity yet`)],
          };
      reject(name, v);
      if (v.fits) passing.push(name);
    }
    passed = passing.length;
    body = encodeFilterNames(passing, failed);
  }
  const rejected = Object.keys(failed).length;
  deps.observer.filterNodes(passed, rejected);
  if (rejected > 0) log.info({ passed, rejected, codes }, 'filter rejected nodes');
  return { body, outcome: 'ok' };
}

/** The reply for POST /prioritize: a score 0..10 for every candidate node. */
export async function prioritize(args: DecodedArgs, deps: DecideDeps, log: Logger): Promise<Reply> {
  const names = args.mode === 'nodes' ? args.nodes.map((n) => n.name) : args.nodeNames;
  const facts = await gatherFacts(args.pod, deps, nodeLookup(args, deps.store), log);
  if (facts.locations.length === 0) {
    deps.observer.fastPath('prioritize');
    return { body: encodePriorities(names.map((Host) => ({ Host, Score: 0 }))), outcome: 'ok' };
  }
  const view =
    args.mode === 'nodes'
      ? (i: number) => args.nodes[i] as NodeView
      : (i: number) => {
          const name = args.nodeNames[i] as string;
          return { name, labels: nodeLabels(deps.store.getNode(name)) };
        };
  return {
    body: encodePriorities(names.map((Host, i) => ({ Host, Score: scoreNode(facts, view(i)) }))),
    outcome: 'ok',
  };
}

/** Finds a node by name: the request's candidates first (Nodes mode), then the store. */
function nodeLookup(args: DecodedArgs, store: ClusterStore): (name: string) => NodeView | undefined {
  return (name) => {
    if (args.mode === 'nodes') {
      const n = args.nodes.find((c) => c.name === name);
      if (n) return n;
    }
    const node = store.getNode(name);
    return node ? { name, labels: nodeLabels(node) } : undefined;
  };
}
