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

/** Sub-objects whose JSON is longer than this are never shared (their text would be the table's key). */
const MAX_SHARED_JSON = 512;

/**
 * Values that repeat across objects, stored once: strings (label and annotation values, namespaces,
 * class and driver names, kinds) and small sub-objects (a zone's `nodeAffinity`, a provisioner's
 * annotations, `{phase: "Bound"}`). `JSON.parse` gives every object its own copies; with 100,000
 * volumes those copies are a third of the cache. Shared sub-objects are deep-frozen copies (store
 * objects are never mutated, and an update replaces the whole object), so sharing cannot be observed.
 *
 * Each table holds at most `limit` entries and starts over when full: memory stays bounded when the
 * values do not repeat (a hostname label per node), at worst losing some sharing.
 */
export class SharedValues {
  readonly #limit: number;
  readonly #strings = new Map<string, string>();
  readonly #trees = new Map<string, unknown>();

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** The shared copy of a string; anything else as is. */
  string<T>(value: T): T {
    if (typeof value !== 'string') return value;
    const known = this.#strings.get(value);
    if (known !== undefined) return known as T;
    if (this.#strings.size >= this.#limit) this.#strings.clear();
    this.#strings.set(value, value);
    return value;
  }

  /**
   * A shared, deep-frozen copy of a JSON value (with shared strings), or — for a value whose JSON is
   * longer than 512 characters — a copy whose record values are shared strings.
   */
  tree<T>(value: T): T {
    if (typeof value !== 'object' || value === null) return this.string(value);
    const json = JSON.stringify(value);
    if (json.length > MAX_SHARED_JSON) return isRecord(value) ? (this.#record(json) as T) : value;
    const known = this.#trees.get(json);
    if (known !== undefined) return known as T;
    if (this.#trees.size >= this.#limit) this.#trees.clear();
    const copy = this.#freeze(JSON.parse(json));
    this.#trees.set(json, copy);
    return copy as T;
  }

  /**
   * A copy of a record whose string values are shared, for records that rarely repeat whole (a
   * node's labels include its hostname).
   */
  record<T>(value: T): T {
    return isRecord(value) ? (this.#record(JSON.stringify(value)) as T) : value;
  }

  /** Parsed from its JSON: a copy made key by key would turn a large record into a bigger dictionary-mode object. */
  #record(json: string): Json {
    const out = JSON.parse(json) as Json;
    for (const key of Object.keys(out)) out[key] = this.string(out[key]);
    return out;
  }

  #freeze(value: unknown): unknown {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.#freeze(value[i]);
      return Object.freeze(value);
    }
    if (isRecord(value)) {
      for (const key of Object.keys(value)) value[key] = this.#freeze(value[key]);
      return Object.freeze(value);
    }
    return this.string(value);
  }
}

/** The table every strip function shares values through (one per process: the values are the cluster's). */
const shared = new SharedValues();

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `src` with only `keys` (those present); the values of `sharedKeys` go through the shared table. */
function pick(src: unknown, keys: readonly string[], sharedKeys: readonly string[] = []): Json | undefined {
  if (!isRecord(src)) return undefined;
  const out: Json = {};
  for (const key of keys) {
    const value = src[key];
    if (value !== undefined) out[key] = sharedKeys.includes(key) ? shared.tree(value) : value;
  }
  return out;
}

interface MetaOptions {
  readonly annotations?: boolean;
  readonly ownerReferences?: boolean;
}

function stripMeta(raw: unknown, options: MetaOptions): ObjectMeta {
  const meta = pick(raw, ['name', 'namespace', 'uid', 'resourceVersion'], ['namespace']) ?? {};
  if (isRecord(raw) && raw.labels !== undefined) meta.labels = shared.record(raw.labels);
  if (options.annotations && isRecord(raw) && isRecord(raw.annotations)) {
    const { [LAST_APPLIED]: _dropped, ...rest } = raw.annotations;
    if (Object.keys(rest).length > 0) meta.annotations = shared.tree(rest);
  }
  if (options.ownerReferences && isRecord(raw) && Array.isArray(raw.ownerReferences)) {
    meta.ownerReferences = raw.ownerReferences.map((ref) =>
      pick(ref, ['apiVersion', 'kind', 'name', 'uid', 'controller'], ['apiVersion', 'kind']),
    );
  }
  // The declared shape is the contract with the engine, whose guards re-check every field it reads.
  return meta as ObjectMeta;
}

function base(raw: Json, meta: MetaOptions): Json {
  const out: Json = { metadata: stripMeta(raw.metadata, meta) };
  if (typeof raw.apiVersion === 'string') out.apiVersion = shared.string(raw.apiVersion);
  if (typeof raw.kind === 'string') out.kind = shared.string(raw.kind);
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
  const spec = pick(raw.spec, ['claimRef', 'storageClassName', 'csi', 'nodeAffinity'], ['storageClassName']) ?? {};
  const claimRef = pick(spec.claimRef, ['namespace', 'name', 'uid'], ['namespace']);
  const csi = pick(spec.csi, ['driver', 'volumeHandle'], ['driver']);
  const nodeAffinity = pick(spec.nodeAffinity, ['required']);
  setOrDelete(spec, 'claimRef', claimRef);
  setOrDelete(spec, 'csi', csi);
  setOrDelete(spec, 'nodeAffinity', nodeAffinity && shared.tree(nodeAffinity));
  out.spec = spec;
  return out as PersistentVolume;
}

export function stripPersistentVolumeClaim(raw: unknown): PersistentVolumeClaim | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true, ownerReferences: true });
  out.spec =
    pick(
      raw.spec,
      ['storageClassName', 'volumeName', 'dataSource', 'dataSourceRef'],
      ['storageClassName', 'dataSource', 'dataSourceRef'],
    ) ?? {};
  const status = pick(raw.status, ['phase']);
  if (status !== undefined) out.status = shared.tree(status);
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
  const spec = pick(raw.spec, ['source']) ?? {};
  setOrDelete(spec, 'source', pick(spec.source, ['persistentVolumeClaimName', 'volumeSnapshotContentName']));
  out.spec = spec;
  const status = pick(raw.status, ['boundVolumeSnapshotContentName']);
  if (status !== undefined) out.status = status;
  return out as VolumeSnapshot;
}

export function stripVolumeSnapshotContent(raw: unknown): VolumeSnapshotContent | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, { annotations: true });
  const spec =
    pick(raw.spec, ['driver', 'source', 'volumeSnapshotRef', 'nodeAffinity'], ['driver', 'nodeAffinity']) ?? {};
  setOrDelete(spec, 'source', pick(spec.source, ['volumeHandle', 'snapshotHandle']));
  setOrDelete(spec, 'volumeSnapshotRef', pick(spec.volumeSnapshotRef, ['namespace', 'name'], ['namespace']));
  out.spec = spec;
  return out as VolumeSnapshotContent;
}

export function stripReferenceGrant(raw: unknown): ReferenceGrant | undefined {
  if (!isRecord(raw)) return undefined;
  const out = base(raw, {});
  out.spec = pick(raw.spec, ['from', 'to']) ?? {};
  return out as ReferenceGrant;
}

/** Sets `obj[key]` to a pruned sub-object, or removes the key when the original was not an object. */
function setOrDelete(obj: Json, key: string, value: Json | undefined): void {
  if (obj[key] === undefined) return;
  if (value === undefined) delete obj[key];
  else obj[key] = value;
}
