/**
 * The resources the live store caches: where they live in the API, whether a CRD provides them,
 * and how they are pruned on ingest.
 */
import type { ObjectKind } from '../store.js';
import type { KubeObject } from '../types.js';
import {
  stripNode,
  stripPersistentVolume,
  stripPersistentVolumeClaim,
  stripReferenceGrant,
  stripStorageClass,
  stripVolumeSnapshot,
  stripVolumeSnapshotContent,
} from './strip.js';

/** An API group/version served by a CRD: it may be missing, and may come and go at run time. */
export interface OptionalApi {
  readonly group: string;
  readonly version: string;
  /** For messages: "VolumeSnapshot API (snapshot.storage.k8s.io/v1)". */
  readonly title: string;
}

export const SNAPSHOT_API: OptionalApi = {
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  title: 'VolumeSnapshot API',
};
export const GATEWAY_API: OptionalApi = {
  group: 'gateway.networking.k8s.io',
  version: 'v1beta1',
  title: 'ReferenceGrant API',
};

export interface Resource {
  readonly kind: ObjectKind | 'Node';
  readonly group: string;
  readonly version: string;
  /** Lower-case plural as in URLs; also the resource's name in logs, sync state and readiness. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Set when a CRD provides the resource. */
  readonly api?: OptionalApi;
  readonly strip: (raw: unknown) => KubeObject | undefined;
}

export const NODES: Resource = {
  kind: 'Node',
  group: '',
  version: 'v1',
  plural: 'nodes',
  namespaced: false,
  strip: stripNode,
};
export const PERSISTENT_VOLUMES: Resource = {
  kind: 'PersistentVolume',
  group: '',
  version: 'v1',
  plural: 'persistentvolumes',
  namespaced: false,
  strip: stripPersistentVolume,
};
export const PERSISTENT_VOLUME_CLAIMS: Resource = {
  kind: 'PersistentVolumeClaim',
  group: '',
  version: 'v1',
  plural: 'persistentvolumeclaims',
  namespaced: true,
  strip: stripPersistentVolumeClaim,
};
export const STORAGE_CLASSES: Resource = {
  kind: 'StorageClass',
  group: 'storage.k8s.io',
  version: 'v1',
  plural: 'storageclasses',
  namespaced: false,
  strip: stripStorageClass,
};
export const VOLUME_SNAPSHOTS: Resource = {
  kind: 'VolumeSnapshot',
  group: SNAPSHOT_API.group,
  version: SNAPSHOT_API.version,
  plural: 'volumesnapshots',
  namespaced: true,
  api: SNAPSHOT_API,
  strip: stripVolumeSnapshot,
};
export const VOLUME_SNAPSHOT_CONTENTS: Resource = {
  kind: 'VolumeSnapshotContent',
  group: SNAPSHOT_API.group,
  version: SNAPSHOT_API.version,
  plural: 'volumesnapshotcontents',
  namespaced: false,
  api: SNAPSHOT_API,
  strip: stripVolumeSnapshotContent,
};
export const REFERENCE_GRANTS: Resource = {
  kind: 'ReferenceGrant',
  group: GATEWAY_API.group,
  version: GATEWAY_API.version,
  plural: 'referencegrants',
  namespaced: true,
  api: GATEWAY_API,
  strip: stripReferenceGrant,
};

/** Every cached resource; the first four are always required. */
export const RESOURCES: readonly Resource[] = [
  NODES,
  PERSISTENT_VOLUMES,
  PERSISTENT_VOLUME_CLAIMS,
  STORAGE_CLASSES,
  VOLUME_SNAPSHOTS,
  VOLUME_SNAPSHOT_CONTENTS,
  REFERENCE_GRANTS,
];

/** The CRD-backed APIs, each probed through discovery. */
export const OPTIONAL_APIS: readonly OptionalApi[] = [SNAPSHOT_API, GATEWAY_API];

export function apiTitle(api: OptionalApi): string {
  return `${api.title} (${api.group}/${api.version})`;
}

/** The path of a resource's collection (cluster-wide, or in one namespace), or of one object. */
export function resourcePath(resource: Resource, namespace?: string, name?: string): string {
  const prefix = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${prefix}${ns}/${resource.plural}${item}`;
}
