/**
 * The live cluster store: informer-backed caches of the objects decisions read, kept current by
 * list+watch, served synchronously from memory, with read-through for misses. See docs/LIVE.md.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { NodeTable } from '../node-table.js';
import type { ClusterStore, ObjectKind, ObjectRef, ReadThroughResult } from '../store.js';
import type {
  KubeObject,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReferenceGrant,
  StorageClass,
  VolumeSnapshot,
  VolumeSnapshotContent,
} from '../types.js';
import { IndexedCache } from './cache.js';
import { type ApiResponse, getJson, statusMessage } from './http.js';
import { Informer } from './informer.js';
import { LiveError } from './kubeconfig.js';
import { ReadThrough, type ReadThroughSource } from './readthrough.js';
import {
  apiTitle,
  NODES,
  OPTIONAL_APIS,
  type OptionalApi,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  REFERENCE_GRANTS,
  RESOURCES,
  type Resource,
  STORAGE_CLASSES,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
} from './resources.js';
import { Backoff, type BackoffSettings, type Clock, DEFAULT_BACKOFF, systemClock } from './timing.js';

export { type KubeConfigSources, LiveError, loadKubeConfig } from './kubeconfig.js';
export { type BackoffSettings, type Clock, DEFAULT_BACKOFF, systemClock } from './timing.js';

export interface LiveStoreOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** Timeout of each read-through GET (default 1,000 ms: a decision waits for it, within kube-scheduler's 5 s). */
  readonly readThroughTimeoutMs?: number;
  /** How long a read-through "does not exist" is remembered (default 2,000 ms). */
  readonly negativeCacheTtlMs?: number;
  /** How often discovery is re-checked for the CRD-backed APIs (default 60,000 ms). */
  readonly discoveryIntervalMs?: number;
  /** Timeout of one list page and of a discovery request (default 60,000 ms). */
  readonly listTimeoutMs?: number;
  /** Objects per list page (default 500). */
  readonly listPageSize?: number;
  /** Restart backoff after a failure (default: 800 ms doubling to 30 s, half-jittered). */
  readonly backoff?: Partial<BackoffSettings>;
  /** Time source and timers (default: the real ones, unref'd). */
  readonly clock?: Clock;
}

/** Sync state of one resource, for metrics and readiness. */
export interface ResourceSyncState {
  readonly resource: string;
  readonly kind: string;
  /** Whether the API serving it is installed: always true for built-in kinds; undefined until discovery answers. */
  readonly installed: boolean | undefined;
  /** Has listed successfully since its informer (last) started. */
  readonly synced: boolean;
  /** A watch is open: the cache follows the API server now. */
  readonly watching: boolean;
  /** Last list or watch (re)connection that succeeded (epoch ms); staleness is `now - lastSyncTime` while not watching. */
  readonly lastSyncTime?: number;
  /** Restarts after failures. */
  readonly restarts: number;
  /** Objects in the cache. */
  readonly objects: number;
  /** The last failure, until the next success. */
  readonly lastError?: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly detail: Record<string, unknown>;
}

/** A `ClusterStore` backed by the live API server. */
export interface LiveStore extends ClusterStore {
  /** Starts the informers and discovery in the background; resolves at once (readiness says when caches are usable). */
  start(): Promise<void>;
  /** Stops every informer, timer and pending retry; the store then answers from what it had. */
  stop(): Promise<void>;
  /**
   * Ready once discovery has answered and every cache whose API is installed has listed once; then
   * stays ready (a reconnect or an API-server outage does not flip it: the store keeps answering
   * from its last known state, and `syncState` shows the staleness).
   */
  readiness(): Readiness;
  syncState(): readonly ResourceSyncState[];
  readThrough(refs: readonly ObjectRef[], signal?: AbortSignal): Promise<ReadThroughResult>;
}

type ApiStatus = 'installed' | 'absent' | 'unknown';

const PV_BY_HANDLE = 'csiHandle';
const BY_NAMESPACE = 'namespace';

function handleKey(driver: string, volumeHandle: string): string {
  return `${driver}\u0000${volumeHandle}`;
}

/** Creates a live store (no I/O until `start()`). */
export function createLiveStore(options: LiveStoreOptions): LiveStore {
  return new LiveClusterStore(options);
}

class LiveClusterStore implements LiveStore {
  readonly #options: LiveStoreOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #nodes = new IndexedCache<Node>(false);
  /** The nodes as the request path reads them, kept in step with the Node cache. */
  readonly #nodeTable = new NodeTable();
  readonly #pvs = new IndexedCache<PersistentVolume>(false, {
    [PV_BY_HANDLE]: (pv) => {
      const csi = pv.spec?.csi;
      return typeof csi?.driver === 'string' && typeof csi.volumeHandle === 'string'
        ? [handleKey(csi.driver, csi.volumeHandle)]
        : [];
    },
  });
  readonly #pvcs = new IndexedCache<PersistentVolumeClaim>(true);
  readonly #classes = new IndexedCache<StorageClass>(false);
  readonly #snapshots = new IndexedCache<VolumeSnapshot>(true);
  readonly #contents = new IndexedCache<VolumeSnapshotContent>(false);
  readonly #grants = new IndexedCache<ReferenceGrant>(true, {
    [BY_NAMESPACE]: (grant) => [grant.metadata?.namespace ?? ''],
  });
  readonly #caches: ReadonlyMap<Resource, IndexedCache<KubeObject>>;
  readonly #informers: ReadonlyMap<Resource, Informer>;
  readonly #apiStatus = new Map<OptionalApi, ApiStatus>();
  readonly #readThrough: ReadThrough;
  readonly #discoveryBackoff: Backoff;
  #discoveryError: string | undefined;
  #discoveryTimer: unknown;
  #discovering = false;
  #started = false;
  #stopped = false;
  #ready = false;

  constructor(options: LiveStoreOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'live-store' });
    this.#clock = options.clock ?? systemClock;
    // Nodes are never read through, so these hooks are the table's alone.
    this.#nodes.onUpsert = (name) => {
      const node = this.#nodes.get(name);
      if (node !== undefined) this.#nodeTable.set(name, node);
    };
    this.#nodes.onRemove = (name) => this.#nodeTable.delete(name);
    const backoff: BackoffSettings = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#discoveryBackoff = new Backoff(backoff, this.#clock.random);
    const caches: ReadonlyMap<Resource, IndexedCache<KubeObject>> = new Map<Resource, IndexedCache<KubeObject>>([
      [NODES, this.#nodes],
      [PERSISTENT_VOLUMES, this.#pvs],
      [PERSISTENT_VOLUME_CLAIMS, this.#pvcs],
      [STORAGE_CLASSES, this.#classes],
      [VOLUME_SNAPSHOTS, this.#snapshots],
      [VOLUME_SNAPSHOT_CONTENTS, this.#contents],
      [REFERENCE_GRANTS, this.#grants],
    ]);
    const informers = new Map<Resource, Informer>();
    const sources = new Map<ObjectKind, ReadThroughSource>();
    for (const [resource, cache] of caches) {
      informers.set(
        resource,
        new Informer(resource, cache, {
          kubeConfig: options.kubeConfig,
          logger: this.#log,
          clock: this.#clock,
          backoff,
          listTimeoutMs: options.listTimeoutMs ?? 60_000,
          listPageSize: options.listPageSize ?? 500,
          // A CRD-backed resource that starts answering 404 was probably uninstalled: re-check now.
          onFailure: (status) => {
            if (status === 404 && resource.api !== undefined) this.#scheduleDiscovery(0);
          },
        }),
      );
      if (resource.kind !== 'Node') {
        sources.set(resource.kind, { resource, cache, unavailable: () => this.#unavailable(resource) });
      }
    }
    this.#informers = informers;
    this.#caches = caches;
    this.#readThrough = new ReadThrough({
      kubeConfig: options.kubeConfig,
      logger: this.#log,
      clock: this.#clock,
      timeoutMs: options.readThroughTimeoutMs ?? 1_000,
      negativeTtlMs: options.negativeCacheTtlMs ?? 2_000,
      sources,
    });
  }

  // ---- ClusterStore -----------------------------------------------------------------------------

  getNode(name: string): Node | undefined {
    return this.#nodes.get(name);
  }

  nodeTable(): NodeTable {
    return this.#nodeTable;
  }

  listNodes(): readonly Node[] {
    return this.#nodes.sorted();
  }

  getPersistentVolume(name: string): PersistentVolume | undefined {
    return this.#pvs.get(name);
  }

  findPersistentVolumeByHandle(driver: string, volumeHandle: string): PersistentVolume | undefined {
    return this.#pvs.byIndex(PV_BY_HANDLE, handleKey(driver, volumeHandle))[0];
  }

  getPersistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.#pvcs.get(this.#pvcs.key(namespace, name));
  }

  getStorageClass(name: string): StorageClass | undefined {
    return this.#classes.get(name);
  }

  getVolumeSnapshot(namespace: string, name: string): VolumeSnapshot | undefined {
    return this.#snapshots.get(this.#snapshots.key(namespace, name));
  }

  getVolumeSnapshotContent(name: string): VolumeSnapshotContent | undefined {
    return this.#contents.get(name);
  }

  listReferenceGrants(namespace: string): readonly ReferenceGrant[] {
    return this.#grants.byIndex(BY_NAMESPACE, namespace);
  }

  /** Pods are not cached in live mode. */
  getPod(_namespace: string, _name: string): Pod | undefined {
    return undefined;
  }

  readThrough(refs: readonly ObjectRef[], signal?: AbortSignal): Promise<ReadThroughResult> {
    return this.#readThrough.read(refs, signal);
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const [resource, informer] of this.#informers) if (resource.api === undefined) informer.start();
    this.#scheduleDiscovery(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ready = false;
    if (this.#discoveryTimer !== undefined) this.#clock.clearTimeout(this.#discoveryTimer);
    this.#discoveryTimer = undefined;
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
    this.#log.info('live store stopped');
  }

  readiness(): Readiness {
    const notSynced: string[] = [];
    const resources: Record<string, string> = {};
    for (const [resource, informer] of this.#informers) {
      const status = this.#status(resource);
      if (status !== 'installed') {
        resources[resource.plural] = status === 'absent' ? 'not installed' : 'unknown (discovery pending)';
        continue;
      }
      const state = informer.state();
      resources[resource.plural] = state.synced
        ? state.watching
          ? 'watching'
          : 'synced, reconnecting'
        : state.lastError === undefined
          ? 'not synced'
          : `not synced: ${state.lastError}`;
      if (!state.synced) notSynced.push(resource.plural);
    }
    const discovered = OPTIONAL_APIS.every((api) => this.#apiStatus.has(api));
    if (!this.#ready && !this.#stopped && this.#started && discovered && notSynced.length === 0) {
      this.#ready = true;
      this.#log.info('live store ready');
    }
    return {
      ready: this.#ready,
      detail: {
        notSynced,
        discovery: discovered ? 'done' : (this.#discoveryError ?? 'pending'),
        resources,
      },
    };
  }

  syncState(): readonly ResourceSyncState[] {
    return RESOURCES.map((resource) => {
      const informer = this.#informers.get(resource);
      const state = informer?.state();
      const status = this.#status(resource);
      return {
        resource: resource.plural,
        kind: resource.kind,
        installed: status === 'unknown' ? undefined : status === 'installed',
        synced: state?.synced ?? false,
        watching: state?.watching ?? false,
        restarts: state?.restarts ?? 0,
        objects: this.#caches.get(resource)?.size ?? 0,
        ...(state?.lastSyncTime === undefined ? {} : { lastSyncTime: state.lastSyncTime }),
        ...(state?.lastError === undefined ? {} : { lastError: state.lastError }),
      };
    });
  }

  // ---- discovery of the CRD-backed APIs ---------------------------------------------------------

  #status(resource: Resource): ApiStatus {
    return resource.api === undefined ? 'installed' : (this.#apiStatus.get(resource.api) ?? 'unknown');
  }

  #unavailable(resource: Resource): string | undefined {
    const api = resource.api;
    if (api === undefined) return undefined;
    const status = this.#apiStatus.get(api) ?? 'unknown';
    if (status === 'absent') return `${apiTitle(api)} is not installed in the cluster`;
    if (status === 'unknown') {
      return `cannot tell whether the ${apiTitle(api)} is installed: ${this.#discoveryError ?? 'discovery has not answered yet'}`;
    }
    return undefined;
  }

  #scheduleDiscovery(ms: number): void {
    if (this.#stopped) return;
    if (this.#discoveryTimer !== undefined) this.#clock.clearTimeout(this.#discoveryTimer);
    this.#discoveryTimer = this.#clock.setTimeout(() => {
      this.#discoveryTimer = undefined;
      void this.#discover();
    }, ms);
  }

  /** Asks discovery which CRD-backed APIs exist, starts/stops their informers, and schedules the next check. */
  async #discover(): Promise<void> {
    if (this.#discovering || this.#stopped) return;
    this.#discovering = true;
    let failed = false;
    for (const api of OPTIONAL_APIS) {
      try {
        const installed = await this.#probe(api);
        if (this.#stopped) break;
        await this.#setApiStatus(api, installed);
      } catch (err) {
        failed = true;
        this.#discoveryError = `discovery of ${api.group}/${api.version} failed: ${err instanceof Error ? err.message : String(err)}`;
        this.#log.warn({ reason: this.#discoveryError }, 'discovery failed');
      }
    }
    this.#discovering = false;
    if (!failed) {
      this.#discoveryError = undefined;
      this.#discoveryBackoff.reset();
    }
    this.#scheduleDiscovery(failed ? this.#discoveryBackoff.next() : (this.#options.discoveryIntervalMs ?? 60_000));
  }

  /** Which of this API's resources the server lists; empty when the group/version is not served (404). Throws on failure. */
  async #probe(api: OptionalApi): Promise<boolean> {
    const response = await getJson(this.#options.kubeConfig, `/apis/${api.group}/${api.version}`, {
      timeoutMs: this.#options.listTimeoutMs ?? 60_000,
    });
    if (response.status === 404) return false;
    if (response.status !== 200) throw new Error(statusMessage(response));
    const body = response.body;
    const listed = typeof body === 'object' && body !== null && 'resources' in body ? body.resources : undefined;
    const names = new Set(
      Array.isArray(listed)
        ? listed.flatMap((r: unknown) =>
            typeof r === 'object' && r !== null && 'name' in r && typeof r.name === 'string' ? [r.name] : [],
          )
        : [],
    );
    return RESOURCES.filter((r) => r.api === api).every((r) => names.has(r.plural));
  }

  async #setApiStatus(api: OptionalApi, installed: boolean): Promise<void> {
    const previous = this.#apiStatus.get(api);
    this.#apiStatus.set(api, installed ? 'installed' : 'absent');
    if (previous === (installed ? 'installed' : 'absent')) return;
    this.#log.info(
      { api: `${api.group}/${api.version}`, installed },
      installed ? 'API installed' : 'API not installed',
    );
    for (const [resource, informer] of this.#informers) {
      if (resource.api !== api) continue;
      if (installed) {
        informer.start();
      } else if (informer.running) {
        await informer.stop();
        // The objects went with their CRD.
        this.#caches.get(resource)?.clear();
      }
    }
  }
}

/**
 * Resolves once `store` is ready; rejects (`LiveError`) after `timeoutMs` with the readiness detail (what has not
 * synced). Polls every 50 ms; does no I/O itself.
 */
export async function waitForReady(store: Pick<LiveStore, 'readiness'>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const readiness = store.readiness();
    if (readiness.ready) return;
    if (Date.now() >= deadline) {
      throw new LiveError(
        `the cluster caches did not sync within ${timeoutMs} ms: ${JSON.stringify(readiness.detail)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Reads one Pod from the API server (live mode keeps no pod cache): the pod, or undefined when it
 * does not exist. Throws a `LiveError` with the API server's message on any other answer. Does I/O.
 */
export async function readPod(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs = 10_000,
): Promise<Pod | undefined> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
  let response: ApiResponse;
  try {
    response = await getJson(kubeConfig, path, { timeoutMs });
  } catch (err) {
    throw new LiveError(err instanceof Error ? err.message : String(err));
  }
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new LiveError(`GET ${path}: ${statusMessage(response)}`);
  const body = response.body;
  if (typeof body !== 'object' || body === null) throw new LiveError(`GET ${path}: not an object`);
  // A Pod as the API server sends it; the engine's guards check each field it reads.
  return body as Pod;
}
