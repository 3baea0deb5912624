/**
 * Encoding of extender replies. Node objects are echoed as received (their bytes are copied from
 * the request, never re-encoded from a model), and keys are PascalCase like the Go structs. The
 * per-node parts are built by string concatenation of pre-encoded pieces: a filter reply carries a
 * reason for every rejected node, and thousands of nodes share a handful of distinct reasons.
 */
import type { CandidateNode } from './decode.js';
import type { FailedNodesMap, HostPriority } from './wire.js';

/** Printable ASCII other than `"` and `\\`: a string of these needs no escaping (anything else goes through JSON.stringify). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `s` as a JSON string literal; node names (DNS subdomains) take the fast way. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * A FailedNodesMap being built: `add(name, reasonJson)` with the reason already encoded as a JSON
 * string literal (encode each distinct reason once, see `jsonString`).
 */
export class FailedNodesJson {
  #json = '';
  #count = 0;

  add(name: string, reasonJson: string): void {
    this.#json += `${this.#count === 0 ? '' : ','}${jsonString(name)}:${reasonJson}`;
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  toString(): string {
    return `{${this.#json}}`;
  }
}

function failedJson(failed: FailedNodesMap | FailedNodesJson): string {
  return failed instanceof FailedNodesJson ? failed.toString() : JSON.stringify(failed);
}

const NODES_HEAD = Buffer.from('{"Nodes":{"metadata":{},"items":[');
const COMMA = Buffer.from(',');

/** Filter reply for `Nodes` mode: the passing nodes' original bytes, rejections in FailedAndUnresolvableNodes. */
export function encodeFilterNodes(passing: readonly CandidateNode[], failed: FailedNodesMap | FailedNodesJson): Buffer {
  const parts: Buffer[] = [NODES_HEAD];
  passing.forEach((n, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(n.bytes());
  });
  parts.push(
    Buffer.from(`]},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":${failedJson(failed)},"Error":""}`),
  );
  return Buffer.concat(parts);
}

const ALL_NODES_HEAD = Buffer.from('{"Nodes":');
const ALL_NODES_TAIL = Buffer.from(',"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}');

/** Filter reply for `Nodes` mode that passes every node: the request's NodeList echoed whole, byte for byte. */
export function encodeFilterAllNodes(nodeList: string | Buffer): Buffer {
  return Buffer.concat([
    ALL_NODES_HEAD,
    typeof nodeList === 'string' ? Buffer.from(nodeList) : nodeList,
    ALL_NODES_TAIL,
  ]);
}

/** Filter reply for `NodeNames` mode. */
export function encodeFilterNames(passing: readonly string[], failed: FailedNodesMap | FailedNodesJson): string {
  return `{"Nodes":null,"NodeNames":${encodeNames(passing)},"FailedNodes":{},"FailedAndUnresolvableNodes":${failedJson(failed)},"Error":""}`;
}

function encodeNames(names: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) out += `${i === 0 ? '' : ','}${jsonString(names[i] as string)}`;
  return `[${out}]`;
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
  let out = '';
  for (let i = 0; i < priorities.length; i++) {
    const p = priorities[i] as HostPriority;
    out += `${i === 0 ? '' : ','}{"Host":${jsonString(p.Host)},"Score":${p.Score}}`;
  }
  return `[${out}]`;
}
