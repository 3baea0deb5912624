/**
 * Encoding of extender replies. Node objects are echoed as received (their JSON text is spliced in,
 * never re-encoded from a model), and keys are PascalCase like the Go structs.
 */
import type { CandidateNode } from './decode.js';
import type { FailedNodesMap, HostPriority } from './wire.js';

function failedJson(failed: FailedNodesMap): string {
  return JSON.stringify(failed);
}

/** Filter reply for `Nodes` mode: the passing nodes' original JSON, rejections in FailedAndUnresolvableNodes. */
export function encodeFilterNodes(passing: readonly CandidateNode[], failed: FailedNodesMap): string {
  const items = passing.map((n) => n.json()).join(',');
  return `{"Nodes":{"metadata":{},"items":[${items}]},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":${failedJson(failed)},"Error":""}`;
}

/** Filter reply for `Nodes` mode that passes every node: the request's NodeList echoed whole. */
export function encodeFilterAllNodes(nodeListJson: string): string {
  return `{"Nodes":${nodeListJson},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""}`;
}

/** Filter reply for `NodeNames` mode. */
export function encodeFilterNames(passing: readonly string[], failed: FailedNodesMap): string {
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
