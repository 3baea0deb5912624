/**
 * Encoding of extender replies. Node objects are echoed as received (the request's own bytes are
 * written back, never re-encoded from a model), and keys are PascalCase like the Go structs.
 *
 * Replies that list nodes are written as bytes, never joined into one string first (a string of
 * hundreds of kilobytes per call lands in V8's large-object space: fresh memory, page faults and
 * all). In `NodeNames` mode the reply is written straight into one buffer from the request's own
 * name literals (`SizedBody`); in `Nodes` mode it is a list of pieces, the passing nodes' bytes
 * among them. Reasons and node names we encode are kept ASCII (other characters written as
 * `\uXXXX` escapes, which Go decodes alike). A filter reply carries a reason for every rejected
 * node and thousands of nodes share a handful of distinct reasons, so each distinct reason is
 * encoded once (`encodeReason`) and repeated.
 */
import { asciiJson, viewOf } from '../cluster/nodes.js';
import type { CandidateNode } from './decode.js';
import type { NameList } from './scan.js';
import type { HostPriority } from './wire.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A reason message as it follows a node name in a FailedNodesMap: `:"message"` (encoded once per distinct reason, and repeated). */
export function encodeReason(message: string): Buffer {
  return ascii(`:${asciiJson(message)}`);
}

/** A node name as an ASCII JSON string literal. */
function encodeName(name: string): Buffer {
  return ascii(asciiJson(name));
}

const COMMA = ascii(',');

/**
 * A FailedNodesMap being built from node names and encoded reasons (see `encodeReason`), as
 * pieces. `capacity`, the most nodes expected, sizes the piece list once (a list grown by push is
 * copied each time it fills).
 */
export class FailedNodesJson {
  readonly #pieces: Uint8Array[];
  #used = 0;

  constructor(capacity = 0) {
    this.#pieces = new Array<Uint8Array>(3 * capacity);
  }

  add(name: string, reason: Uint8Array): void {
    if (this.#used > 0) this.#pieces[this.#used++] = COMMA;
    this.#pieces[this.#used++] = encodeName(name);
    this.#pieces[this.#used++] = reason;
  }

  /** How many pieces `writeTo` writes. */
  get pieces(): number {
    return this.#used + 2;
  }

  /** Writes the map's pieces, `{` and `}` included, into `out` from `at`; returns where they end. */
  writeTo(out: Uint8Array[], at: number): number {
    let k = at;
    out[k++] = OPEN;
    for (let i = 0; i < this.#used; i++) out[k++] = this.#pieces[i] as Uint8Array;
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

/**
 * A reply written straight into one buffer: its exact length, then its bytes. Replies that list
 * the request's names are written this way from the request's own bytes (still in the CPU's
 * caches, having just been scanned), rather than assembled from a piece per name.
 */
export interface SizedBody {
  readonly length: number;
  /** Writes the `length` bytes of the body into `out` from 0. */
  writeTo(out: Uint8Array): void;
}

/**
 * Copies bytes `[start, end)` of `src` into `out` at `at`, a word at a time; returns where they
 * end. For spans as short as a name a loop beats a call into the runtime.
 */
function copyBytes(src: DataView, start: number, end: number, out: DataView, at: number): number {
  let i = start;
  let k = at;
  for (; i + 4 <= end; i += 4, k += 4) out.setUint32(k, src.getUint32(i));
  for (; i < end; i++, k++) out.setUint8(k, src.getUint8(i));
  return k;
}

const NAMES_HEAD = ascii('{"Nodes":null,"NodeNames":[');
const NAMES_FAILED = ascii('],"FailedNodes":{},"FailedAndUnresolvableNodes":{');
const NAMES_TAIL = ascii('},"Error":""}');

/**
 * Filter reply for `NodeNames` mode: name `k` of the request passes when `verdicts[k]` is
 * undefined, and is otherwise rejected for that encoded reason (see `encodeReason`). Every name
 * is written as its literal in the request (escapes included, which Go decodes to the same name).
 */
export function encodeFilterNames(names: NameList, verdicts: readonly (Uint8Array | undefined)[]): SizedBody {
  const n = names.length;
  let length = NAMES_HEAD.length + NAMES_FAILED.length + NAMES_TAIL.length;
  let passed = 0;
  for (let k = 0; k < n; k++) {
    const verdict = verdicts[k];
    length += names.literalEnd(k) - names.literalStart(k) + 1;
    if (verdict === undefined) passed++;
    else length += verdict.length;
  }
  // A comma after every name but the last of each list.
  if (passed > 0) length--;
  if (passed < n) length--;
  return {
    length,
    writeTo(out) {
      const body = names.view;
      const view = viewOf(out);
      out.set(NAMES_HEAD, 0);
      let at = NAMES_HEAD.length;
      for (let k = 0; k < n; k++) {
        if (verdicts[k] !== undefined) continue;
        if (at > NAMES_HEAD.length) out[at++] = 0x2c; // ,
        at = copyBytes(body, names.literalStart(k), names.literalEnd(k), view, at);
      }
      out.set(NAMES_FAILED, at);
      at += NAMES_FAILED.length;
      const first = at;
      for (let k = 0; k < n; k++) {
        const verdict = verdicts[k];
        if (verdict === undefined) continue;
        if (at > first) out[at++] = 0x2c; // ,
        at = copyBytes(body, names.literalStart(k), names.literalEnd(k), view, at);
        out.set(verdict, at);
        at += verdict.length;
      }
      out.set(NAMES_TAIL, at);
    },
  };
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

const HOST = viewOf(ascii('{"Host":'));
/** `,"Score":N}` for the scores 0–10 an extender may give. */
const SCORE = Array.from({ length: 11 }, (_, n) => viewOf(ascii(`,"Score":${n}}`)));

/**
 * Prioritize reply for `NodeNames` mode: name `k` of the request gets `scores[k]` (an integer
 * 0–10), each host written as its literal in the request.
 */
export function encodeNamePriorities(names: NameList, scores: Uint8Array): SizedBody {
  const n = names.length;
  let length = n === 0 ? 2 : 1 + n * (HOST.byteLength + 1);
  for (let k = 0; k < n; k++) {
    const score = SCORE[scores[k] as number];
    if (score === undefined) throw new RangeError(`score ${scores[k]} is not an integer 0-10`);
    length += names.literalEnd(k) - names.literalStart(k) + score.byteLength;
  }
  return {
    length,
    writeTo(out) {
      const body = names.view;
      const view = viewOf(out);
      out[0] = 0x5b; // [
      let at = 1;
      for (let k = 0; k < n; k++) {
        if (k > 0) out[at++] = 0x2c; // ,
        at = copyBytes(HOST, 0, HOST.byteLength, view, at);
        at = copyBytes(body, names.literalStart(k), names.literalEnd(k), view, at);
        const score = SCORE[scores[k] as number] as DataView;
        at = copyBytes(score, 0, score.byteLength, view, at);
      }
      out[at] = 0x5d; // ]
    },
  };
}
