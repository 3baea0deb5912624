/**
 * Decoding of ExtenderArgs request bodies into what the handlers need. Rejects malformed bodies
 * with a `DecodeError` (HTTP 400). Keys of ExtenderArgs are matched case-insensitively and the last
 * duplicate wins, as Go's encoding/json does.
 */
import type { Labels, Pod } from '../cluster/types.js';

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
}

/** A decoded request: the pod and either the candidate nodes (`Nodes` mode) or their names. */
export type DecodedArgs =
  | {
      readonly pod: Pod;
      readonly mode: 'nodes';
      readonly nodes: readonly CandidateNode[];
      /** The whole `Nodes` NodeList's JSON text, for replies that pass every node. */
      nodeListJson(): string;
    }
  | { readonly pod: Pod; readonly mode: 'names'; readonly nodeNames: readonly string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function labelsOf(node: Record<string, unknown>): Labels {
  const meta = node.metadata;
  const labels = isObject(meta) ? meta.labels : undefined;
  if (!isObject(labels)) return {};
  // Label values are strings in every valid object; drop anything else rather than trust it.
  for (const v of Object.values(labels)) {
    if (typeof v !== 'string')
      return Object.fromEntries(Object.entries(labels).filter(([, x]) => typeof x === 'string')) as Labels;
  }
  return labels as Labels;
}

/** Decodes a request body (UTF-8 JSON). Throws DecodeError with a message fit for the client. */
export function decodeArgs(body: Buffer | string): DecodedArgs {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw new DecodeError('empty request body: expected ExtenderArgs JSON');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DecodeError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new DecodeError('request body must be a JSON object (ExtenderArgs)');
  let pod: unknown;
  let nodes: unknown = null;
  let nodeNames: unknown = null;
  for (const [key, value] of Object.entries(parsed)) {
    switch (key.toLowerCase()) {
      case 'pod':
        pod = value;
        break;
      case 'nodes':
        nodes = value;
        break;
      case 'nodenames':
        nodeNames = value;
        break;
    }
  }
  if (!isObject(pod)) throw new DecodeError('ExtenderArgs.Pod must be a Pod object');
  if (nodes !== null && nodeNames !== null) {
    throw new DecodeError('ExtenderArgs has both Nodes and NodeNames; kube-scheduler sends exactly one');
  }
  if (nodeNames !== null) {
    if (!Array.isArray(nodeNames) || !nodeNames.every((n) => typeof n === 'string')) {
      throw new DecodeError('ExtenderArgs.NodeNames must be a list of strings');
    }
    return { pod: pod as Pod, mode: 'names', nodeNames };
  }
  if (nodes === null) throw new DecodeError('ExtenderArgs needs Nodes or NodeNames');
  if (!isObject(nodes) || !(nodes.items === null || nodes.items === undefined || Array.isArray(nodes.items))) {
    throw new DecodeError('ExtenderArgs.Nodes must be a NodeList object with an items list');
  }
  const items: unknown[] = Array.isArray(nodes.items) ? nodes.items : [];
  const candidates = items.map((item, i): CandidateNode => {
    if (!isObject(item)) throw new DecodeError(`ExtenderArgs.Nodes.items[${i}] must be a Node object`);
    const meta = item.metadata;
    const name = isObject(meta) ? meta.name : undefined;
    if (typeof name !== 'string' || name === '') {
      throw new DecodeError(`ExtenderArgs.Nodes.items[${i}].metadata.name must be a non-empty string`);
    }
    return { name, labels: labelsOf(item), json: () => JSON.stringify(item) };
  });
  const list = nodes;
  return { pod: pod as Pod, mode: 'nodes', nodes: candidates, nodeListJson: () => JSON.stringify(list) };
}
