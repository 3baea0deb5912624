/**
 * The reason catalogue: every way a node can be rejected, with a stable `code` (tests, logs,
 * metrics, `explain -o json`) and a short message for humans that names the claim, the object
 * involved and the topology required. kube-scheduler aggregates identical per-node strings into the
 * pod's FailedScheduling event, so messages stay short (see `MAX_MESSAGE`) and deterministic.
 */

export const ReasonCode = {
  /** A claim the pod uses does not exist. */
  ClaimNotFound: 'ClaimNotFound',
  /** A generic ephemeral volume's claim exists but is controlled by another owner. */
  EphemeralClaimNotOwned: 'EphemeralClaimNotOwned',
  /** A bound claim's PersistentVolume does not exist. */
  BoundVolumeNotFound: 'BoundVolumeNotFound',
  /** The node does not satisfy a bound claim's PV nodeAffinity. */
  VolumeNodeAffinity: 'VolumeNodeAffinity',
  /** The node does not satisfy a bound claim's PV legacy zone/region labels. */
  VolumeZoneLabels: 'VolumeZoneLabels',
  /** A delayed-binding claim's StorageClass does not exist. */
  StorageClassNotFound: 'StorageClassNotFound',
  /** The node is outside the StorageClass's allowedTopologies. */
  AllowedTopologies: 'AllowedTopologies',
  /** The claim was already assigned to another node (volume.kubernetes.io/selected-node). */
  SelectedNode: 'SelectedNode',
  /** The claim was assigned to a node from which its volume cannot be provisioned. */
  SelectedNodeCannotProvision: 'SelectedNodeCannotProvision',
  /** A cross-namespace clone/restore source without a ReferenceGrant that allows it. */
  SourceNotGranted: 'SourceNotGranted',
  /** The clone source claim does not exist. */
  CloneSourceNotFound: 'CloneSourceNotFound',
  /** The clone source claim is not bound to a volume. */
  CloneSourceNotBound: 'CloneSourceNotBound',
  /** The clone source claim is bound to a PV that does not exist. */
  CloneSourceVolumeNotFound: 'CloneSourceVolumeNotFound',
  /** The node cannot reach the clone source's volume. */
  CloneSourceTopology: 'CloneSourceTopology',
  /** The restore source VolumeSnapshot does not exist. */
  SnapshotNotFound: 'SnapshotNotFound',
  /** The VolumeSnapshot is not bound to a VolumeSnapshotContent yet. */
  SnapshotNotBound: 'SnapshotNotBound',
  /** The VolumeSnapshot is bound to a VolumeSnapshotContent that does not exist. */
  SnapshotContentNotFound: 'SnapshotContentNotFound',
  /** The node cannot reach the snapshot being restored. */
  RestoreSourceTopology: 'RestoreSourceTopology',
  /** NodeNames mode: the node is not in the extender's cluster state yet. */
  NodeNotKnown: 'NodeNotKnown',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
}

/** Longest message put on the wire; longer ones are cut with an ellipsis. */
export const MAX_MESSAGE = 200;

export function reason(code: ReasonCode, message: string): Reason {
  return { code, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message };
}
