/**
 * Decoding of ExtenderArgs request bodies into what the handlers need. Rejects malformed bodies
 * with a `DecodeError` (HTTP 400). Keys of ExtenderArgs are matched case-insensitively with Go's
 * case folding and the last duplicate in the document wins, as Go's encoding/json does.
 *
 * Two ways in, one result. `Nodes` bodies (nodeCacheCapable: false, megabytes of Node objects)
 * and any body over `PARSE_LIMIT` go through the scanner (`scan.ts`): it validates the whole body
 * without building it, so a Node is never materialised: its name is read, its labels are parsed
 * only if a decision asks for them, and a passing node goes back as its original bytes. Small
 * `NodeNames` bodies are decoded with `JSON.parse`, which is faster there; if their top-level keys
 * cannot be told apart without document order (`"Pod"` and `"pod"` both present) they go through
 * the scanner too.
 */
import type { Labels, Pod } from '../cluster/types.js';
import { foldKey, JsonSyntaxError, type ScannedArgs, type ScannedNode, scanArgs, type ValueRange } from './scan.js';

export class DecodeError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** One candidate node of a `Nodes` request: its name, labels, and its JSON exactly as received. */
export interface CandidateNode {
  readonly name: string;
  readonly labels: Labels;
  /** The node object's JSON text, to be echoed in the reply. */
  json(): string;
  /** The same as UTF-8 bytes (a view into the request body: no copy). */
  bytes(): Buffer;
}

/** A decoded request: the pod and either the candidate nodes (`Nodes` mode) or their names. */
export type DecodedArgs =
  | {
      readonly pod: Pod;
      readonly mode: 'nodes';
      readonly nodes: readonly CandidateNode[];
      /** The whole `Nodes` NodeList's JSON text, for replies that pass every node. */
      nodeListJson(): string;
      /** The same as UTF-8 bytes (a view into the request body: no copy). */
      nodeListBytes(): Buffer;
    }
  | { readonly pod: Pod; readonly mode: 'names'; readonly nodeNames: readonly string[] };

/** Bodies up to this many bytes that carry `NodeNames` are decoded with JSON.parse. */
export const PARSE_LIMIT = 1 << 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const MESSAGES = {
  empty: 'empty request body: expected ExtenderArgs JSON',
  notObject: 'request body must be a JSON object (ExtenderArgs)',
  pod: 'ExtenderArgs.Pod must be a Pod object',
  both: 'ExtenderArgs has both Nodes and NodeNames; kube-scheduler sends exactly one',
  names: 'ExtenderArgs.NodeNames must be a list of strings',
  neither: 'ExtenderArgs needs Nodes or NodeNames',
  nodeList: 'ExtenderArgs.Nodes must be a NodeList object with an items list',
  item: (i: number) => `ExtenderArgs.Nodes.items[${i}] must be a Node object`,
  name: (i: number) => `ExtenderArgs.Nodes.items[${i}].metadata.name must be a non-empty string`,
} as const;

/** Label values are strings in every valid object; anything else is dropped rather than trusted. */
function stringLabels(labels: unknown): Labels {
  if (!isObject(labels)) return {};
  for (const v of Object.values(labels)) {
    if (typeof v !== 'string')
      return Object.fromEntries(Object.entries(labels).filter(([, x]) => typeof x === 'string')) as Labels;
  }
  return labels as Labels;
}

function isBlank(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

/** Decodes a request body (UTF-8 JSON). Throws DecodeError with a message fit for the client. Pure. */
export function decodeArgs(body: Buffer | string): DecodedArgs {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (isBlank(buf)) throw new DecodeError(MESSAGES.empty);
  return (buf.length <= PARSE_LIMIT ? parsed(buf) : undefined) ?? scanned(buf);
}

/**
 * JSON.parse path: the decoded request, or undefined when the scanner must decide (a `Nodes`
 * body, whose nodes are echoed as their original bytes, two spellings of one key, or a body that
 * is not JSON).
 */
function parsed(buf: Buffer): DecodedArgs | undefined {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    // The scanner says where (the byte, one character): V8's message quotes a stretch of the body,
    // and bodies must never reach the logs.
    return undefined;
  }
  if (!isObject(value)) throw new DecodeError(MESSAGES.notObject);
  let pod: unknown;
  let nodes: unknown = null;
  let nodeNames: unknown = null;
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const field = foldKey(key);
    if (field !== 'pod' && field !== 'nodes' && field !== 'nodenames') continue;
    // JSON.parse keeps the last of identical keys, but "Pod" and "pod" are two properties whose
    // document order it does not keep: only the scanner can say which came last.
    if (seen.has(field)) return undefined;
    seen.add(field);
    if (field === 'pod') pod = v;
    else if (field === 'nodes') nodes = v;
    else nodeNames = v;
  }
  if (nodes !== null) return undefined;
  if (!isObject(pod)) throw new DecodeError(MESSAGES.pod);
  if (nodeNames === null) throw new DecodeError(MESSAGES.neither);
  if (!Array.isArray(nodeNames) || !nodeNames.every((n) => typeof n === 'string')) {
    throw new DecodeError(MESSAGES.names);
  }
  return { pod: pod as Pod, mode: 'names', nodeNames };
}

/** A node of a scanned body: name read, labels parsed on first use, bytes echoed as received. */
class ScannedCandidate implements CandidateNode {
  #labels: Labels | undefined;

  constructor(
    readonly name: string,
    private readonly body: Buffer,
    private readonly node: ScannedNode,
    private readonly labelsAt: ValueRange | undefined,
  ) {}

  get labels(): Labels {
    if (this.#labels === undefined) {
      const at = this.labelsAt;
      // The scanner validated these bytes: JSON.parse cannot fail on them.
      this.#labels =
        at?.kind === 'object' ? stringLabels(JSON.parse(this.body.toString('utf8', at.start, at.end))) : {};
    }
    return this.#labels;
  }

  json(): string {
    return this.body.toString('utf8', this.node.start, this.node.end);
  }

  bytes(): Buffer {
    return this.body.subarray(this.node.start, this.node.end);
  }
}

/** Scanner path (see the module comment). */
function scanned(buf: Buffer): DecodedArgs {
  let args: ScannedArgs;
  try {
    args = scanArgs(buf);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new DecodeError(`request body is not valid JSON: ${err.message}`);
  }
  if (args.kind !== 'object') throw new DecodeError(MESSAGES.notObject);
  const podAt = args.pod;
  if (podAt?.kind !== 'object') throw new DecodeError(MESSAGES.pod);
  const pod = JSON.parse(buf.toString('utf8', podAt.start, podAt.end)) as Pod;
  const nodes = args.nodes ?? { kind: 'null' };
  const names = args.nodeNames ?? { kind: 'null' };
  if (nodes.kind !== 'null' && names.kind !== 'null') throw new DecodeError(MESSAGES.both);
  if (names.kind !== 'null') {
    if (names.kind !== 'array' || !names.allStrings) throw new DecodeError(MESSAGES.names);
    return { pod, mode: 'names', nodeNames: names.names };
  }
  if (nodes.kind === 'null') throw new DecodeError(MESSAGES.neither);
  if (nodes.kind !== 'object' || !(nodes.items === null || nodes.items === undefined || Array.isArray(nodes.items))) {
    throw new DecodeError(MESSAGES.nodeList);
  }
  const items: readonly ScannedNode[] = Array.isArray(nodes.items) ? nodes.items : [];
  const candidates = items.map((item, i): CandidateNode => {
    if (item.kind !== 'object') throw new DecodeError(MESSAGES.item(i));
    const name = item.metadata?.name;
    if (typeof name !== 'string' || name === '') throw new DecodeError(MESSAGES.name(i));
    return new ScannedCandidate(name, buf, item, item.metadata?.labels);
  });
  const list = nodes.range;
  return {
    pod,
    mode: 'nodes',
    nodes: candidates,
    nodeListJson: () => buf.toString('utf8', list.start, list.end),
    nodeListBytes: () => buf.subarray(list.start, list.end),
  };
}
