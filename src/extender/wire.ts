/**
 * The kube-scheduler extender v1 wire types (k8s.io/kube-scheduler/extender/v1), field for field.
 * The Go structs carry no json tags, so keys are the Go field names (PascalCase); Go decodes
 * replies case-insensitively, and requests arrive with every key present (one of Nodes/NodeNames
 * null).
 */
import type { KubeObject, Pod } from '../cluster/types.js';

/** ExtenderArgs: the body of POST /filter and POST /prioritize. */
export interface ExtenderArgs {
  readonly Pod: Pod | null;
  /** Set when the extender is not nodeCacheCapable: the candidate nodes as a v1.NodeList. */
  readonly Nodes: { readonly metadata?: unknown; readonly items: readonly KubeObject[] } | null;
  /** Set when the extender is nodeCacheCapable: the candidate node names. */
  readonly NodeNames: readonly string[] | null;
}

/** FailedNodesMap: node name → reason. */
export type FailedNodesMap = Record<string, string>;

/** ExtenderFilterResult: the reply to POST /filter. */
export interface ExtenderFilterResult {
  readonly Nodes: { readonly metadata: Record<string, never>; readonly items: readonly unknown[] } | null;
  readonly NodeNames: readonly string[] | null;
  /** Nodes that failed and that preemption might fix. This extender never uses it. */
  readonly FailedNodes: FailedNodesMap;
  /** Nodes that failed and that preemption cannot fix: every volume-topology rejection. */
  readonly FailedAndUnresolvableNodes: FailedNodesMap;
  /** Non-empty: the extender could not decide; the scheduling attempt fails and is retried. */
  readonly Error: string;
}

/** HostPriority: one entry of the reply to POST /prioritize (a HostPriorityList). */
export interface HostPriority {
  readonly Host: string;
  /** Integer 0..10 (MaxExtenderPriority); kube-scheduler multiplies it by the extender's weight. */
  readonly Score: number;
}
