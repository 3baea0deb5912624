/**
 * The decisions behind POST /filter and POST /prioritize, independent of HTTP: gather the pod's
 * facts (reading missing objects through a live store when it can), evaluate each candidate node,
 * and build the reply body. Also used by `explain`.
 */

import { NO_LABELS } from '../cluster/access.js';
import type { NodeTable, SignatureColumn } from '../cluster/node-table.js';
import { KeySet } from '../cluster/nodes.js';
import { type ClusterStore, type ReadThroughResult, refKey } from '../cluster/store.js';
import type { Pod } from '../cluster/types.js';
import type { Config } from '../config/config.js';
import { gatherPodFacts } from '../facts/gather.js';
import type { CallLogger } from '../observability/logger.js';
import type { RequestObserver } from '../observability/observer.js';
import { type Check, constrains, type PodFacts, scoreKeys, scoreNode } from '../topology/evaluate.js';
import { type Reason, ReasonCode, reason } from '../topology/reasons.js';
import type { NodeView } from '../topology/source.js';
import type { DecodedArgs } from './decode.js';
import {
  encodeFilterAllNames,
  encodeFilterAllNodes,
  encodeFilterError,
  encodeFilterNames,
  encodeFilterNodes,
  encodeNamePriorities,
  encodePriorities,
  encodeReason,
  FailedNodesJson,
  type SizedBody,
} from './encode.js';

export interface DecideDeps {
  readonly store: ClusterStore;
  readonly config: Pick<Config, 'drivers' | 'cannotDecide'>;
  readonly observer: RequestObserver;
}

/** Most objects one request reads through from the API server. */
export const MAX_READ_THROUGH = 32;

/**
 * Gathers the pod's facts; when the store missed objects and can read them through, reads them and
 * gathers again, so a claim created a moment before its pod is decided from the real object. Does
 * I/O only through `store.readThrough`.
 */
export async function gatherFacts(
  pod: Pod,
  deps: DecideDeps,
  lookupNode: (name: string) => NodeView | undefined,
  log?: CallLogger,
): Promise<PodFacts> {
  const input = { pod, store: deps.store, drivers: deps.config.drivers, lookupNode };
  const first = gatherPodFacts(input);
  if (first.misses.length === 0 || !deps.store.readThrough) return first.facts;
  let result: ReadThroughResult;
  try {
    // One pod must not turn into a storm of GETs: beyond the first MAX_READ_THROUGH objects, what
    // the cache does not have counts as absent (a pod missing that many objects fits no node anyway).
    result = await deps.store.readThrough(first.misses.slice(0, MAX_READ_THROUGH));
  } catch (err) {
    deps.observer.error('read_through');
    log?.warn({ err }, 'read-through failed');
    result = new Map(first.misses.map((r) => [refKey(r), { status: 'error', message: String(err) }]));
  }
  const unreadable = new Map<string, string>();
  for (const [key, r] of result) if (r.status === 'error') unreadable.set(key, r.message);
  return gatherPodFacts({ ...input, unreadable }).facts;
}

/** A reply body, and whether it carries `Error` (the extender could not decide). */
export interface Reply {
  /**
   * JSON text, UTF-8 pieces to be written in order (replies that echo Node objects splice the
   * request's bytes), or bytes written straight into the reply buffer (see `SizedBody`).
   */
  readonly body: string | readonly Uint8Array[] | SizedBody;
  readonly outcome: 'ok' | 'error';
}

/** Bit `j` set: the node fails `tested[j]`. The node-dependent part of `evaluateNode` as a number, for up to 30 checks. */
function failedMask(tested: readonly Check[], node: NodeView): number {
  let mask = 0;
  for (let j = 0; j < tested.length; j++) if (!tested[j]?.test?.(node)) mask |= 1 << j;
  return mask;
}

/** Whether the key from `Rejections.#failedKey` says the node fails node-dependent check `j`. */
function failedAt(key: number | string, j: number): boolean {
  return typeof key === 'number' ? (key & (1 << j)) !== 0 : key.includes(`:${j},`) || key.includes(`,${j},`);
}

/**
 * Longest reason string for one node on the wire. Each message is at most `MAX_MESSAGE`; a pod with
 * many failing claims lists the first ones and how many more, so that the reply stays proportional
 * to the number of nodes (a crafted pod with thousands of missing claims must not make a reply of
 * gigabytes).
 */
export const MAX_NODE_REASON = 1_000;

/** The reasons' messages joined with `; `, cut to `MAX_NODE_REASON` characters with a count of the rest. */
export function joinReasons(reasons: readonly Reason[]): string {
  let out = '';
  for (let i = 0; i < reasons.length; i++) {
    const message = (reasons[i] as Reason).message;
    const next = i === 0 ? message : `${out}; ${message}`;
    if (next.length > MAX_NODE_REASON) return `${out}; and ${reasons.length - i} more`;
    out = next;
  }
  return out;
}

interface Rejection {
  readonly reasons: readonly Reason[];
  /** The reasons' messages joined with `; `, encoded (see `encodeReason`). */
  readonly json: Buffer;
  count: number;
}

/**
 * The rejections of one filter call. Nodes that fail the same checks share one reason string,
 * encoded once: a 5,000-node reply repeats a handful of distinct reasons thousands of times.
 */
class Rejections {
  readonly #byKey = new Map<number | string, Rejection>();
  readonly #debug: boolean;
  /** The checks that depend on the node; the others (pod-level problems) fail every node. */
  readonly #tested: readonly Check[];
  readonly #podLevel: boolean;
  /**
   * The labels all node-dependent checks read, when none depends on anything else: nodes with the
   * same values there fail the same checks, so each distinct projection is evaluated once.
   */
  readonly keys: KeySet | undefined;
  readonly #bySignature = new Map<string, number | string>();
  /** Verdicts by signature id (names mode: ids of one `SignatureColumn`): null for a fit. */
  readonly #byId: (Rejection | null | undefined)[] = [];
  /** How many nodes were rejected. */
  count = 0;

  constructor(
    private readonly facts: PodFacts,
    private readonly log: CallLogger,
  ) {
    this.#debug = log.isLevelEnabled('debug');
    this.#tested = facts.checks.filter((c) => c.test !== undefined);
    this.#podLevel = this.#tested.length < facts.checks.length;
    const keyed = this.#tested.every((c) => c.keys !== undefined);
    this.keys = keyed ? KeySet.of(this.#tested.flatMap((c) => c.keys ?? [])) : undefined;
  }

  /**
   * Evaluates `node` (as `evaluateNode` does): undefined when it fits, else its rejection (counted).
   * Costs one call per node-dependent check (pod-level problems are the same for every node), or
   * none for a node whose labels project like an earlier one's.
   */
  check(node: NodeView): Rejection | undefined {
    const keys = this.keys;
    let key: number | string | undefined;
    if (keys === undefined) key = this.#failedKey(node);
    else {
      const signature = keys.signature(node.labels);
      key = this.#bySignature.get(signature);
      if (key === undefined) {
        key = this.#failedKey(node);
        this.#bySignature.set(signature, key);
      }
    }
    const r = this.#verdictOf(key);
    return r === null ? undefined : this.#count(node.name, r);
  }

  /**
   * `check` for node `i` of a store's node table; `column` is the table's signature column of
   * `this.keys` (when set). The node's own object is visited only the first time its projection
   * is seen, or when the checks cannot be memoized.
   */
  checkAt(table: NodeTable, i: number, column: SignatureColumn | undefined): Rejection | undefined {
    let r: Rejection | null | undefined;
    if (column === undefined) r = this.#verdictOf(this.#failedKey(table.entry(i)));
    else {
      const id = column.id(i, table);
      r = this.#byId[id];
      if (r === undefined) {
        r = this.#verdictOf(this.#failedKey(table.entry(i)));
        this.#byId[id] = r;
      }
    }
    return r === null ? undefined : this.#count(this.#debug ? table.entry(i).name : '', r);
  }

  /** The rejection of a node with failed-check key `key`, or null when it fits. */
  #verdictOf(key: number | string): Rejection | null {
    return this.#passes(key) ? null : this.#rejectionFor(key);
  }

  #passes(key: number | string): boolean {
    return (key === 0 || key === '') && !this.#podLevel;
  }

  #rejectionFor(key: number | string): Rejection {
    let r = this.#byKey.get(key);
    if (r === undefined) {
      const failing = new Set(this.#tested.filter((_, j) => failedAt(key, j)));
      // In check order, as evaluateNode reports them.
      r = this.#rejection(this.facts.checks.filter((c) => c.test === undefined || failing.has(c)).map((c) => c.reason));
      this.#byKey.set(key, r);
    }
    return r;
  }

  /** Which node-dependent checks `node` fails: a bit mask for up to 30, else their indices as `t:0,4,` (never a `reject` key). */
  #failedKey(node: NodeView): number | string {
    const tested = this.#tested;
    if (tested.length <= 30) return failedMask(tested, node);
    let key = 't:';
    for (let j = 0; j < tested.length; j++) if (!tested[j]?.test?.(node)) key += `${j},`;
    return key === 't:' ? '' : key;
  }

  /** The rejection of a node for `reasons`, without evaluating it (e.g. a node the store does not know); counted. */
  reject(name: string, reasons: readonly Reason[]): Rejection {
    const key = reasons.map((x) => `${x.code}:${x.message}`).join('\n');
    let r = this.#byKey.get(key);
    if (r === undefined) {
      r = this.#rejection(reasons);
      this.#byKey.set(key, r);
    }
    return this.#count(name, r);
  }

  /** How many nodes were rejected for each reason code. */
  codes(): Record<string, number> {
    const codes: Record<string, number> = {};
    for (const r of this.#byKey.values()) for (const x of r.reasons) codes[x.code] = (codes[x.code] ?? 0) + r.count;
    return codes;
  }

  #rejection(reasons: readonly Reason[]): Rejection {
    return { reasons, json: encodeReason(joinReasons(reasons)), count: 0 };
  }

  /** Counts a rejected node (`name` is read only for debug logs). */
  #count(name: string, r: Rejection): Rejection {
    r.count++;
    this.count++;
    if (this.#debug) this.log.debug({ node: name, reasons: r.reasons }, 'node rejected');
    return r;
  }
}

/** The reply for POST /filter. */
export async function filter(args: DecodedArgs, deps: DecideDeps, log: CallLogger): Promise<Reply> {
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
    const all = args.mode === 'nodes' ? args.nodes.length : args.names.length;
    deps.observer.filterNodes(all, 0);
    const body = args.mode === 'nodes' ? encodeFilterAllNodes(args.nodeListBytes()) : encodeFilterAllNames(args.names);
    return { body, outcome: 'ok' };
  }
  const rejections = new Rejections(facts, log);
  let body: Reply['body'];
  if (args.mode === 'nodes') {
    const failed = new FailedNodesJson(args.nodes.length);
    const passing = args.nodes.filter((n) => {
      const r = rejections.check(n);
      if (r !== undefined) failed.add(n.name, r.json);
      return r === undefined;
    });
    body = encodeFilterNodes(passing, failed);
  } else {
    const table = deps.store.nodeTable();
    const column = rejections.keys === undefined ? undefined : table.signatures(rejections.keys);
    const names = args.names;
    const verdicts = new Array<Buffer | undefined>(names.length);
    const found = new Int32Array(names.length);
    table.findAll(names, found);
    for (let k = 0; k < names.length; k++) {
      const i = found[k] as number;
      if (i >= 0) verdicts[k] = rejections.checkAt(table, i, column)?.json;
      else {
        const name = names.name(k);
        verdicts[k] = rejections.reject(name, [
          reason(ReasonCode.NodeNotKnown, `node "${name}" is not known to source-affinity yet`),
        ]).json;
      }
    }
    body = encodeFilterNames(names, verdicts);
  }
  const rejected = rejections.count;
  const passed = (args.mode === 'nodes' ? args.nodes.length : args.names.length) - rejected;
  deps.observer.filterNodes(passed, rejected);
  if (rejected > 0) {
    const codes = rejections.codes();
    for (const [code, count] of Object.entries(codes)) deps.observer.rejection(code, count);
    if (log.isLevelEnabled('debug')) log.debug({ passed, rejected, codes }, 'filter rejected nodes');
  }
  return { body, outcome: 'ok' };
}

/** The reply for POST /prioritize: a score 0..10 for every candidate node. */
export async function prioritize(args: DecodedArgs, deps: DecideDeps, log: CallLogger): Promise<Reply> {
  const facts = await gatherFacts(args.pod, deps, nodeLookup(args, deps.store), log);
  const unconstrained = facts.locations.length === 0;
  if (unconstrained) deps.observer.fastPath('prioritize');
  if (args.mode === 'nodes') {
    return {
      body: encodePriorities(args.nodes.map((n) => ({ Host: n.name, Score: unconstrained ? 0 : scoreNode(facts, n) }))),
      outcome: 'ok',
    };
  }
  const names = args.names;
  const scores = new Uint8Array(names.length);
  if (!unconstrained) {
    // Nodes whose labels agree on the keys scoring reads get the same score: computed once per
    // projection. Names the store does not know score as nodes without labels would.
    const table = deps.store.nodeTable();
    const column = table.signatures(KeySet.of(scoreKeys(facts)));
    const byId: (number | undefined)[] = [];
    const found = new Int32Array(names.length);
    table.findAll(names, found);
    for (let k = 0; k < names.length; k++) {
      const i = found[k] as number;
      if (i < 0) {
        scores[k] = scoreNode(facts, { name: names.name(k), labels: NO_LABELS });
        continue;
      }
      const id = column.id(i, table);
      let score = byId[id];
      if (score === undefined) {
        score = scoreNode(facts, table.entry(i));
        byId[id] = score;
      }
      scores[k] = score;
    }
  }
  return { body: encodeNamePriorities(names, scores), outcome: 'ok' };
}

/** Finds a node by name: the request's candidates first (Nodes mode), then the store. */
function nodeLookup(args: DecodedArgs, store: ClusterStore): (name: string) => NodeView | undefined {
  return (name) => {
    if (args.mode === 'nodes') {
      const n = args.nodes.find((c) => c.name === name);
      if (n) return n;
    }
    return store.nodeTable().get(name);
  };
}
