/**
 * Ingest-time pruning: each object entering a live cache keeps only the fields the engine reads
 * (the shapes in `../types.ts`), so the cache's memory is proportional to what decisions need.
 * Dropped, for example: `managedFields`, creation/generation metadata, the `kubectl` last-applied
 * annotation, Node status (images, conditions, addresses, capacity) and Node annotations, PV/PVC
 * capacity and access modes, every `status` the engine does not read.
 *
 * Values are copied as they come (not validated): the engine's field guards treat a field of the
 * wrong type as absent, exactly as for objects loaded from files.
 */
import type {
  Node,
  ObjectMeta,
  PersistentVolume,
  PersistentVolumeClaim,
  ReferenceGrant,
  StorageClass,
  VolumeSnapshot,
  VolumeSnapshotContent,
} from '../types.js';

type Json = Record<string, unknown>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `src` with only `keys` (those present). */
function pick(src: unknown, keys: readonly string[]): Json | undefined {
  if (!isRecord(src)) return undefined;
  const out: Json = {};
  for (const key of keys) if (src[key] !== undefined) out[key] = src[key];
  return out;
}

/** Copies the listed keys of `src`; for each key in `nested`, prunes that sub-object with its own key list. */
function prune(src: unknown, keys: readonly string[], nested: Readonly<Record<string, readonly string[]>> = {}): Json {
  const out = pick(src, keys) ?? {};
  for (const [key, subKeys] of Object.entries(nested)) {
    if (out[key] === undefined) continue;
    const sub = pick(out[key], subKeys);
    if (sub === undefined) delete out[key];
    else out[key] = sub;
  }
  return out;
}

interface MetaOptions {
  readonly annotations?: boolean;
  readonly ownerReferences?: boolean;
}

function stripMeta(raw: unknown, options: MetaOptions): ObjectMeta {
  const meta = pick(raw, ['name', 'namespace', 'uid', 'resourceVersion', 'labels']) ?? {};
  if (options.annotations && isRecord(raw) && isRecord(raw.annotations)) {
    const { [LAST_APPLIED]: _dropped, ...rest } = raw.annotations;
    if (Object.keys(rest).length > 0) meta.annotations = rest;
  }
  if (options.ownerReferences && isRecord(raw) && Array.isArray(raw.ownerReferences)) {
    meta.ownerReferences = raw.ownerReferences.map((ref) =>
      pick(ref, ['apiVersion', 'kind', 'name', 'uid', 'controller']),
    );
  }
  // The declared shape is the contract with the engine, whose guards re-check every field it reads.
  return meta as ObjectMeta;
}

function base(raw: Json, meta: MetaOptions): Json {
  const out: Json = { metadata: stripMeta(raw.metadata, meta) };
  if (typeof raw.apiVersion === 'string') out.apiVersion = raw.apiVersion;
  if (typeof raw.kind === 'string') out.kind = raw.kind;
  return out;
}

/** Nodes: name, uid, resourceVersion and labels (topology); nothing else. */
export function stripNode(raw: unknown): Node | undefined {
  if (!isRecord(raw)) return undefined;
  return base(raw, {}) as Node;
}

export function stripPersistentVolume(raw: unknown): PersistentVolume | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true });
  const spec = prune(raw.spec, ['claimRef', 'storageClassName', 'csi', 'nodeAffinity'], {
    claimRef: ['namespace', 'name', 'uid'],
    csi: ['driver', 'volumeHandle'],
    nodeAffinity: ['required'],
  });
  out.spec = spec;
  return out as PersistentVolume;
}

export function stripPersistentVolumeClaim(raw: unknown): PersistentVolumeClaim | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true, ownerReferences: true });
  out.spec = prune(raw.spec, ['storageClassName', 'volumeName', 'dataSource', 'dataSourceRef']);
  const status = pick(raw.status, ['phase']);
  if (status !== undefined) out.status = status;
  return out as PersistentVolumeClaim;
}

export function stripStorageClass(raw: unknown): StorageClass | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true });
  for (const key of ['provisioner', 'volumeBindingMode', 'allowedTopologies']) {
    if (raw[key] !== undefined) out[key] = raw[key];
  }
  return out as StorageClass;
}

export function stripVolumeSnapshot(raw: unknown): VolumeSnapshot | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true });
  out.spec = prune(raw.spec, ['source'], { source: ['persistentVolumeClaimName', 'volumeSnapshotContentName'] });
  const status = pick(raw.status, ['boundVolumeSnapshotContentName']);
  if (status !== undefined) out.status = status;
  return out as VolumeSnapshot;
}

export function stripVolumeSnapshotContent(raw: unknown): VolumeSnapshotContent | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true });
  out.spec = prune(raw.spec, ['driver', 'source', 'volumeSnapshotRef', 'nodeAffinity'], {
    source: ['volumeHandle', 'snapshotHandle'],
    volumeSnapshotRef: ['namespace', 'name'],
  });
  return out as VolumeSnapshotContent;
}

export function stripReferenceGrant(raw: unknown): ReferenceGrant | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, {});
  out.spec = prune(raw.spec, ['from', 'to']);
  return out as ReferenceGrant;
}
