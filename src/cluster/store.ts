import type { NodeTable } from './node-table.js';
import type {
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReferenceGrant,
  StorageClass,
  VolumeSnapshot,
  VolumeSnapshotContent,
} from './types.js';

/**
 * The read-only view of the cluster that decisions are made from. Implemented by the static state
 * loaded from files (`StaticStore`) and by the live informer caches.
 *
 * Every lookup is synchronous and local (no I/O): a decision never waits on the API server unless
 * the handler explicitly asks `readThrough` for objects a first pass found missing. Returned
 * objects are shared and must never be mutated.
 */
export interface ClusterStore {
  getNode(name: string): Node | undefined;
  /** The nodes laid out for the request path (see `NodeTable`); the same object for the store's life. */
  nodeTable(): NodeTable;
  /** All nodes, in a stable order (used by `explain`, not on the request path). */
  listNodes(): readonly Node[];
  getPersistentVolume(name: string): PersistentVolume | undefined;
  /** The PV whose `spec.csi.driver` and `spec.csi.volumeHandle` are exactly these (index lookup). */
  findPersistentVolumeByHandle(driver: string, volumeHandle: string): PersistentVolume | undefined;
  getPersistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  getStorageClass(name: string): StorageClass | undefined;
  getVolumeSnapshot(namespace: string, name: string): VolumeSnapshot | undefined;
  getVolumeSnapshotContent(name: string): VolumeSnapshotContent | undefined;
  /** ReferenceGrants in one namespace (empty when none). */
  listReferenceGrants(namespace: string): readonly ReferenceGrant[];
  /** Pods are only kept by the static store (for `explain --pod`); live stores may return undefined. */
  getPod(namespace: string, name: string): Pod | undefined;
  /**
   * Optional (live stores only): fetch objects that a lookup missed, directly from the API server,
   * put what exists into the store, and say for each reference whether it exists. Does I/O.
   */
  readThrough?(refs: readonly ObjectRef[], signal?: AbortSignal): Promise<ReadThroughResult>;
}

export type ObjectKind =
  | 'PersistentVolume'
  | 'PersistentVolumeClaim'
  | 'StorageClass'
  | 'VolumeSnapshot'
  | 'VolumeSnapshotContent'
  | 'ReferenceGrant';

/** A reference to an object a decision needed; for ReferenceGrant, `name` is empty: "all grants in namespace". */
export interface ObjectRef {
  readonly kind: ObjectKind;
  readonly namespace: string;
  readonly name: string;
}

/** Key of a reference, stable across calls: `Kind/namespace/name` (namespace empty for cluster-scoped kinds). */
export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * The outcome of a read-through per `refKey`: `found` (now in the store), `absent` (the API server
 * says it does not exist), or `error` (it could not be read: the decision cannot be made from it).
 */
export type ReadThroughResult = ReadonlyMap<
  string,
  { readonly status: 'found' | 'absent' } | { readonly status: 'error'; readonly message: string }
>;
