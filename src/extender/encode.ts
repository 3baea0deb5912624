/**
 * Encoding of extender replies. Node objects are echoed as received (the request's own bytes are
 * written back, never re-encoded from a model), and keys are PascalCase like the Go structs.
 *
 * Replies that list nodes are assembled from byte pieces, written into one buffer by the HTTP
 * layer: joining them into one string first would allocate a string of hundreds of kilobytes per
 * call, which V8 places in its large-object space (fresh memory, page faults and all). Reasons and
 * node names are kept ASCII (other characters written as `\uXXXX` escapes, which Go decodes alike).
 * A filter reply carries a reason for every rejected node and thousands of nodes share a handful
 * of distinct reasons, so each distinct reason is encoded once (`encodeReason`) and repeated; a
 * store's node table holds every name encoded (`NodeTable.json`).
 */
import { asciiJson } from '../cluster/nodes.js';
import type { CandidateNode } from './decode.js';
import type { NameList } from './scan.js';
import type { HostPriority } from './wire.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/**
 * A reason as it follows a node name in a FailedNodesMap: `:"message"` and then `,` unless it ends
 * the map. Encoded once per distinct reason and repeated.
 */
export interface EncodedReason {
  /** `:"message",` */
  readonly more: Buffer;
  /** `:"message"` */
  readonly last: Buffer;
}

/** A reason message encoded as an ASCII JSON string literal, for `FailedNodesJson`. */
export function encodeReason(message: string): EncodedReason {
  const literal = asciiJson(message);
  return { more: ascii(`:${literal},`), last: ascii(`:${literal}`) };
}

/** A node name as an ASCII JSON string literal. */
export function encodeName(name: string): Buffer {
  return ascii(asciiJson(name));
}

const COMMA = ascii(',');

/**
 * A FailedNodesMap being built: node name → pre-encoded reason (two pieces per node). `capacity`,
 * the most nodes expected, sizes the piece list once (a list grown by push is copied each time it
 * fills: tens of kilobytes per call).
 */
export class FailedNodesJson {
  readonly #pieces: Uint8Array[];
  #used = 0;
  #last: EncodedReason | undefined;

  constructor(capacity = 0) {
    this.#pieces = new Array<Uint8Array>(2 * capacity);
  }

  add(name: string, reason: EncodedReason): void {
    this.addEncoded(encodeName(name), reason);
  }

  /** `add` for a name already encoded (a node table's `json(i)`). */
  addEncoded(nameJson: Uint8Array, reason: EncodedReason): void {
    this.#pieces[this.#used++] = nameJson;
    this.#pieces[this.#used++] = reason.more;
    this.#last = reason;
  }

  get count(): number {
    return this.#used / 2;
  }

  /** How many pieces `writeTo` writes. */
  get pieces(): number {
    return this.#used + 2;
  }

  /** Writes the map's pieces, `{` and `}` included, into `out` from `at`; returns where they end. */
  writeTo(out: Uint8Array[], at: number): number {
    let k = at;
    out[k++] = OPEN;
    const pieces = this.#pieces;
    const n = this.#used;
    for (let i = 0; i < n - 1; i++) out[k++] = pieces[i] as Uint8Array;
    if (this.#last !== undefined) out[k++] = this.#last.last;
    out[k++] = CLOSE;
    return k;
  }
}

const OPEN = ascii('{');
const CLOSE = ascii('}');

const NODES_HEAD = ascii('{"Nodes":{"metadata":{},"items":[');
const NODES_FAILED = ascii(']},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":');
const TAIL = ascii(',"Error":""}');

/**
 * Filter reply for `Nodes` mode: the passing nodes' original bytes, rejections in
 * FailedAndUnresolvableNodes. The nodes are views into the request body, sent without copying
 * megabytes into a new buffer.
 */
export function encodeFilterNodes(passing: readonly CandidateNode[], failed: FailedNodesJson): readonly Uint8Array[] {
  const parts: Uint8Array[] = [NODES_HEAD];
  passing.forEach((n, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(n.bytes());
  });
  parts.push(NODES_FAILED);
  const end = failed.writeTo(parts, parts.length);
  parts[end] = TAIL;
  return parts;
}

const ALL_NODES_HEAD = ascii('{"Nodes":');
const ALL_NODES_TAIL = ascii(',"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}');

/** Filter reply for `Nodes` mode that passes every node: the request's NodeList echoed whole, byte for byte. */
export function encodeFilterAllNodes(nodeList: string | Buffer): readonly Uint8Array[] {
  return [ALL_NODES_HEAD, typeof nodeList === 'string' ? Buffer.from(nodeList) : nodeList, ALL_NODES_TAIL];
}

const ALL_NAMES_HEAD = ascii('{"Nodes":null,"NodeNames":');
const ALL_NAMES_TAIL = ascii(',"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}');

/** Filter reply for `NodeNames` mode that passes every node: the request's list echoed whole, byte for byte. */
export function encodeFilterAllNames(names: NameList): readonly Uint8Array[] {
  return [ALL_NAMES_HEAD, names.body.subarray(names.range.start, names.range.end), ALL_NAMES_TAIL];
}

const NAMES_HEAD = ascii('{"Nodes":null,"NodeNames":[');
const NAMES_FAILED = ascii('],"FailedNodes":{},"FailedAndUnresolvableNodes":');

/** Filter reply for `NodeNames` mode: the passing names, each encoded (see `encodeName`). */
export function encodeFilterNames(passing: readonly Uint8Array[], failed: FailedNodesJson): readonly Uint8Array[] {
  const parts = new Array<Uint8Array>(2 * passing.length + failed.pieces + 2);
  let k = 0;
  parts[k++] = NAMES_HEAD;
  for (let i = 0; i < passing.length; i++) {
    if (i > 0) parts[k++] = COMMA;
    parts[k++] = passing[i] as Uint8Array;
  }
  parts[k++] = NAMES_FAILED;
  k = failed.writeTo(parts, k);
  parts[k++] = TAIL;
  parts.length = k;
  return parts;
}

/** Filter reply when the extender cannot decide: kube-scheduler fails this attempt and retries the pod. */
export function encodeFilterError(message: string): string {
  return JSON.stringify({
    Nodes: null,
    NodeNames: null,
    FailedNodes: {},
    FailedAndUnresolvableNodes: {},
    Error: message,
  });
}

/** Prioritize reply: a HostPriorityList with integer scores. */
export function encodePriorities(priorities: readonly HostPriority[]): string {
  return JSON.stringify(priorities);
}

const HOSTS_HEAD = ascii('[{"Host":');
/** `,"Score":N},{"Host":` and `,"Score":N}]` for the scores 0–10 an extender may give. */
const SCORE_MORE = Array.from({ length: 11 }, (_, n) => ascii(`,"Score":${n}},{"Host":`));
const SCORE_LAST = Array.from({ length: 11 }, (_, n) => ascii(`,"Score":${n}}]`));

/** A HostPriorityList being built from encoded host names (see `encodeName`) and integer scores 0–10. */
export class PrioritiesJson {
  readonly #pieces: Uint8Array[];
  #used = 1;
  #lastScore = -1;

  /** `hosts`: how many hosts will be added, to size the piece list once (see `FailedNodesJson`). */
  constructor(hosts = 0) {
    this.#pieces = new Array<Uint8Array>(2 * hosts + 1);
    this.#pieces[0] = HOSTS_HEAD;
  }

  add(hostJson: Uint8Array, score: number): void {
    if (SCORE_LAST[score] === undefined) throw new RangeError(`score ${score} is not an integer 0-10`);
    // The score closes the entry and opens the next one: two pieces per host.
    if (this.#lastScore >= 0) this.#pieces[this.#used++] = SCORE_MORE[this.#lastScore] as Buffer;
    this.#pieces[this.#used++] = hostJson;
    this.#lastScore = score;
  }

  /** The list's pieces; nothing may be added after. */
  finish(): readonly Uint8Array[] {
    if (this.#lastScore < 0) return [EMPTY_LIST];
    this.#pieces[this.#used++] = SCORE_LAST[this.#lastScore] as Buffer;
    this.#pieces.length = this.#used;
    return this.#pieces;
  }
}

const EMPTY_LIST = ascii('[]');

const HOST = ascii('{"Host":');
const SCORE_ZERO = ascii(',"Score":0}');

/**
 * Prioritize reply giving every name of the request the score 0, each host written as its literal
 * in the request. One buffer: cheaper than a piece per host.
 */
export function encodeZeroPriorities(names: NameList): readonly Uint8Array[] {
  const n = names.length;
  if (n === 0) return [EMPTY_LIST];
  const body = names.body;
  // `[`, `]`, and per host its entry and a `,` (one fewer than hosts).
  let length = 1 + n * (HOST.length + SCORE_ZERO.length + 1);
  for (let k = 0; k < n; k++) length += names.literalEnd(k) - names.literalStart(k);
  const out = Buffer.allocUnsafe(length);
  out[0] = 0x5b; // [
  let at = 1;
  for (let k = 0; k < n; k++) {
    if (k > 0) out[at++] = 0x2c; // ,
    for (let b = 0; b < HOST.length; b++) out[at++] = HOST[b] as number;
    at += body.copy(out, at, names.literalStart(k), names.literalEnd(k));
    for (let b = 0; b < SCORE_ZERO.length; b++) out[at++] = SCORE_ZERO[b] as number;
  }
  out[at] = 0x5d; // ]
  return [out];
}
