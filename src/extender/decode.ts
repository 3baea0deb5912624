/**
 * Decoding of ExtenderArgs request bodies into what the handlers need. Rejects malformed bodies
 * with a `DecodeError` (HTTP 400). Keys of ExtenderArgs are matched case-insensitively with Go's
 * case folding and the last duplicate in the document wins, as Go's encoding/json does.
 *
 * Every body goes through the scanner (`scan.ts`): it validates the whole body without building
 * it. Only the Pod is parsed. A Node of a `Nodes` body is never materialised: its name is read,
 * its labels are parsed only if a decision asks for them, and a passing node goes back as its
 * original bytes. `NodeNames` stay where they are in the body until something asks for them as
 * strings: decisions look them up by their bytes, and replies copy their literals.
 */
import type { Labels, Pod } from '../cluster/types.js';
import {
  JsonSyntaxError,
  type NameList,
  objectMembers,
  type ScannedArgs,
  type ScannedNode,
  scanArgs,
  type ValueRange,
} from './scan.js';

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
  | {
      readonly pod: Pod;
      readonly mode: 'names';
      /** The names as strings (decoded on first use). */
      readonly nodeNames: readonly string[];
      /** The names where they are in the request body. */
      readonly names: NameList;
    };

/**
 * NodeNames-mode arguments: a class, not an object literal with a getter, which V8 makes a
 * dictionary-mode object (why that matters on the request path: `LazyCheck` in `facts/gather.ts`).
 */
class NamesArgs {
  readonly mode = 'names';
  constructor(
    readonly pod: Pod,
    readonly names: NameList,
  ) {}

  get nodeNames(): readonly string[] {
    return this.names.strings();
  }
}

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

const POD_KEYS = [Buffer.from('metadata'), Buffer.from('spec')];
const METADATA_KEYS = [Buffer.from('name'), Buffer.from('namespace'), Buffer.from('uid')];
const SPEC_KEYS = [Buffer.from('volumes')];

/**
 * The request's Pod as far as decisions read it: `metadata.name`, `.namespace` and `.uid`, and
 * `spec.volumes`, each as `JSON.parse` of the whole Pod would give it (a `metadata` or `spec` that is
 * not an object is kept whole). Building the rest cost about as much as scanning the whole body: a
 * Pod is mostly containers, and `JSON.parse` looks up every key it builds in V8's string table.
 */
function podOf(buf: Buffer, at: ValueRange): Pod {
  const [metadata, spec] = objectMembers(buf, at, POD_KEYS);
  const pod: Record<string, unknown> = {};
  if (metadata !== undefined) pod.metadata = partOf(buf, metadata, METADATA_KEYS);
  if (spec !== undefined) pod.spec = partOf(buf, spec, SPEC_KEYS);
  return pod as Pod;
}

/** The value at `at`: for an object, only its members `keys`. */
function partOf(buf: Buffer, at: ValueRange, keys: readonly Buffer[]): unknown {
  if (at.kind !== 'object') return valueAt(buf, at);
  const part: Record<string, unknown> = {};
  const found = objectMembers(buf, at, keys);
  for (let i = 0; i < keys.length; i++) {
    const v = found[i];
    if (v !== undefined) part[(keys[i] as Buffer).toString('latin1')] = valueAt(buf, v);
  }
  return part;
}

/** The value at `at` (valid JSON): a string without escapes is read directly. */
function valueAt(buf: Buffer, at: ValueRange): unknown {
  if (at.kind === 'string' && !hasBackslash(buf, at.start + 1, at.end - 1)) {
    return buf.toString('utf8', at.start + 1, at.end - 1);
  }
  return JSON.parse(buf.toString('utf8', at.start, at.end));
}

function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0x5c) return true;
  return false;
}

/** Decodes a request body (UTF-8 JSON). Throws DecodeError with a message fit for the client. Pure. */
export function decodeArgs(body: Buffer | string): DecodedArgs {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (isBlank(buf)) throw new DecodeError(MESSAGES.empty);
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
  const pod = podOf(buf, podAt);
  const nodes = args.nodes ?? { kind: 'null' };
  const names = args.nodeNames ?? { kind: 'null' };
  if (nodes.kind !== 'null' && names.kind !== 'null') throw new DecodeError(MESSAGES.both);
  if (names.kind !== 'null') {
    if (names.kind !== 'array' || !names.allStrings) throw new DecodeError(MESSAGES.names);
    return new NamesArgs(pod, names.list);
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
