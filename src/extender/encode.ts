/**
 * Encoding of extender replies. Node objects are echoed as received (the request's own bytes are
 * written back, never re-encoded from a model), and keys are PascalCase like the Go structs.
 *
 * Text replies are built from pieces joined once. Reasons and the node names of failure maps are
 * kept ASCII (other characters written as `\uXXXX` escapes, which Go decodes alike): a one-byte
 * string is flat after one `join` and is its own UTF-8, so turning it into bytes is a copy. A
 * filter reply carries a reason for every rejected node and thousands of nodes share a handful of
 * distinct reasons, so each distinct reason is encoded once (`encodeReason`) and repeated.
 */
import type { CandidateNode } from './decode.js';
import type { FailedNodesMap, HostPriority } from './wire.js';

/** Printable ASCII other than `"` and `\`: a string of these is its own JSON string literal body. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;
const HAS_NON_ASCII = /[\u0080-\uffff]/;

/** `s` as a JSON string literal in ASCII (node names, DNS subdomains, take the fast way). */
export function asciiJson(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  return JSON.stringify(s).replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A reason message as an ASCII JSON string literal, to be repeated in a reply's entries. (Node
 * names go through JSON.stringify unless they hold non-ASCII characters: they are ASCII in any
 * valid object, and it is faster.)
 */
export function encodeReason(message: string): string {
  // Round-trip through latin1 so that V8 holds it as a one-byte string: `asciiJson` of a message
  // with an ellipsis is built from two-byte pieces, and joining thousands of copies of a two-byte
  // string (then transcoding it for the socket) costs several times more.
  return Buffer.from(asciiJson(message), 'latin1').toString('latin1');
}

/** A FailedNodesMap being built: node name → pre-encoded reason (see `encodeReason`). */
export class FailedNodesJson {
  // Pieces joined once at the end, without building a string per entry.
  readonly #parts: string[] = [];

  add(name: string, reason: string): void {
    // Names are ASCII in any valid object; any other is escaped, so that a reply is ASCII however it is written.
    const key = HAS_NON_ASCII.test(name) ? asciiJson(name) : JSON.stringify(name);
    this.#parts.push(this.#parts.length === 0 ? '' : ',', key, ':', reason);
  }

  get count(): number {
    return this.#parts.length / 4;
  }

  toString(): string {
    return `{${this.#parts.join('')}}`;
  }
}

function failedJson(failed: FailedNodesMap | FailedNodesJson): string {
  return failed instanceof FailedNodesJson ? failed.toString() : JSON.stringify(failed);
}

/**
 * Filter reply for `Nodes` mode: the passing nodes' original bytes, rejections in
 * FailedAndUnresolvableNodes. Returned as pieces to be written in order: the nodes are views into
 * the request body, sent without copying megabytes into a new buffer.
 */
export function encodeFilterNodes(
  passing: readonly CandidateNode[],
  failed: FailedNodesMap | FailedNodesJson,
): readonly Buffer[] {
  const parts: Buffer[] = [NODES_HEAD];
  passing.forEach((n, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(n.bytes());
  });
  const tail = `]},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":${failedJson(failed)},"Error":""}`;
  parts.push(Buffer.from(tail, 'utf8'));
  return parts;
}

const NODES_HEAD = Buffer.from('{"Nodes":{"metadata":{},"items":[');
const COMMA = Buffer.from(',');
const ALL_NODES_HEAD = Buffer.from('{"Nodes":');
const ALL_NODES_TAIL = Buffer.from(',"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}');

/** Filter reply for `Nodes` mode that passes every node: the request's NodeList echoed whole, byte for byte (pieces, as above). */
export function encodeFilterAllNodes(nodeList: string | Buffer): readonly Buffer[] {
  return [ALL_NODES_HEAD, typeof nodeList === 'string' ? Buffer.from(nodeList) : nodeList, ALL_NODES_TAIL];
}

/** Filter reply for `NodeNames` mode. */
export function encodeFilterNames(passing: readonly string[], failed: FailedNodesMap | FailedNodesJson): string {
  return `{"Nodes":null,"NodeNames":${JSON.stringify(passing)},"FailedNodes":{},"FailedAndUnresolvableNodes":${failedJson(failed)},"Error":""}`;
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
