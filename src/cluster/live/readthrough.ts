/**
 * Read-through on a cache miss: fetch the objects a decision needs directly from the API server,
 * with a short timeout, put the ones that exist into the caches, and remember "does not exist" for a
 * short while. Concurrent requests for the same object share one fetch, so a burst of pods that all
 * reference a claim the cache has not seen yet costs one GET, not one per pod.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { type ObjectKind, type ObjectRef, type ReadThroughResult, refKey } from '../store.js';
import type { KubeObject } from '../types.js';
import type { IndexedCache } from './cache.js';
import { getJson, statusMessage } from './http.js';
import { type Resource, resourcePath } from './resources.js';
import type { Clock } from './timing.js';

type Outcome = { readonly status: 'found' | 'absent' } | { readonly status: 'error'; readonly message: string };

/** Where read-through finds and puts one kind's objects. */
export interface ReadThroughSource {
  readonly resource: Resource;
  readonly cache: IndexedCache<KubeObject>;
  /** Why objects of this kind cannot be read now (their API is not installed), or undefined. */
  unavailable(): string | undefined;
}

export interface ReadThroughDeps {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** How long "absent" (and, for ReferenceGrants, "listed") is remembered. */
  readonly negativeTtlMs: number;
  readonly sources: ReadonlyMap<ObjectKind, ReadThroughSource>;
}

interface Flight {
  readonly promise: Promise<Outcome>;
  /** A delete event for this object arrived while it was being fetched: the fetched copy is stale. */
  removed: boolean;
}

export class ReadThrough {
  readonly #deps: ReadThroughDeps;
  readonly #recent: LRUCache<string, 'absent' | 'listed'>;
  readonly #flights = new Map<string, Flight>();

  constructor(deps: ReadThroughDeps) {
    this.#deps = deps;
    this.#recent = new LRUCache({
      max: 10_000,
      ttl: Math.max(1, deps.negativeTtlMs),
      perf: { now: () => deps.clock.now() },
    });
    for (const [kind, source] of deps.sources) {
      source.cache.onUpsert = (key) => {
        this.#recent.delete(`${kind}/${cacheRefKey(source, key)}`);
        // Grants are read through per namespace (`ReferenceGrant/<ns>/`): a new one ends "none there".
        if (kind === 'ReferenceGrant') this.#recent.delete(`${kind}/${key.slice(0, key.indexOf('/'))}/`);
      };
      source.cache.onRemove = (key) => {
        const flight = this.#flights.get(`${kind}/${cacheRefKey(source, key)}`);
        if (flight !== undefined) flight.removed = true;
      };
    }
  }

  /**
   * Resolves each reference: `found` (in its cache now), `absent` (the API server says it does not
   * exist), or `error` with the reason (API not installed, timeout, server error, abort). Never
   * rejects. Does I/O, at most one request per distinct object in flight.
   */
  async read(refs: readonly ObjectRef[], signal?: AbortSignal): Promise<ReadThroughResult> {
    const unique = new Map(refs.map((ref) => [refKey(ref), ref]));
    const outcomes = await Promise.all(
      [...unique].map(async ([key, ref]) => [key, await abortable(this.#resolve(ref, key), signal)] as const),
    );
    return new Map(outcomes);
  }

  #resolve(ref: ObjectRef, key: string): Promise<Outcome> {
    const source = this.#deps.sources.get(ref.kind);
    if (source === undefined) return Promise.resolve({ status: 'error', message: `unsupported kind ${ref.kind}` });
    const unavailable = source.unavailable();
    if (unavailable !== undefined) return Promise.resolve({ status: 'error', message: unavailable });
    const isList = ref.kind === 'ReferenceGrant';
    if (!isList && source.cache.has(source.cache.key(ref.namespace, ref.name))) {
      return Promise.resolve({ status: 'found' });
    }
    const recent = this.#recent.get(key);
    if (recent !== undefined) return Promise.resolve({ status: recent === 'absent' ? 'absent' : 'found' });
    const existing = this.#flights.get(key);
    if (existing !== undefined) return existing.promise;
    const flight: Flight = {
      removed: false,
      promise: (isList ? this.#list(source, ref, key) : this.#get(source, ref, key)).finally(() =>
        this.#flights.delete(key),
      ),
    };
    this.#flights.set(key, flight);
    return flight.promise;
  }

  async #get(source: ReadThroughSource, ref: ObjectRef, key: string): Promise<Outcome> {
    const path = resourcePath(source.resource, ref.namespace, ref.name);
    try {
      const response = await getJson(this.#deps.kubeConfig, path, { timeoutMs: this.#deps.timeoutMs });
      if (response.status === 404 || this.#flights.get(key)?.removed) {
        this.#recent.set(key, 'absent');
        this.#log(ref, 'absent');
        return { status: 'absent' };
      }
      if (response.status !== 200) return this.#failed(ref, `GET ${path}: ${statusMessage(response)}`);
      const obj = source.resource.strip(response.body);
      if (obj === undefined) return this.#failed(ref, `GET ${path}: not an object`);
      // An informer event that arrived meanwhile is at least as new as what we fetched: keep it.
      if (!source.cache.has(source.cache.keyOf(obj))) source.cache.upsert(obj);
      this.#log(ref, 'found');
      return { status: 'found' };
    } catch (err) {
      return this.#failed(ref, err instanceof Error ? err.message : String(err));
    }
  }

  /** ReferenceGrants are needed per namespace: list them all there. */
  async #list(source: ReadThroughSource, ref: ObjectRef, key: string): Promise<Outcome> {
    const path = resourcePath(source.resource, ref.namespace);
    try {
      const response = await getJson(this.#deps.kubeConfig, path, { timeoutMs: this.#deps.timeoutMs });
      if (response.status !== 200) return this.#failed(ref, `GET ${path}: ${statusMessage(response)}`);
      const body = response.body;
      const items = typeof body === 'object' && body !== null && 'items' in body ? body.items : undefined;
      if (!Array.isArray(items)) return this.#failed(ref, `GET ${path}: response has no items`);
      for (const raw of items) {
        const obj = source.resource.strip(raw);
        if (obj !== undefined && !source.cache.has(source.cache.keyOf(obj))) source.cache.upsert(obj);
      }
      const status = items.length === 0 ? 'absent' : 'found';
      this.#recent.set(key, items.length === 0 ? 'absent' : 'listed');
      this.#log(ref, status);
      return { status };
    } catch (err) {
      return this.#failed(ref, err instanceof Error ? err.message : String(err));
    }
  }

  #failed(ref: ObjectRef, message: string): Outcome {
    this.#deps.logger.warn(
      { kind: ref.kind, namespace: ref.namespace, name: ref.name, reason: message },
      'read-through failed',
    );
    return { status: 'error', message };
  }

  #log(ref: ObjectRef, status: 'found' | 'absent'): void {
    this.#deps.logger.debug({ kind: ref.kind, namespace: ref.namespace, name: ref.name, status }, 'read-through');
  }
}

/** The `refKey` tail (`namespace/name`) of a cache key; cluster-scoped keys get the empty namespace. */
function cacheRefKey(source: ReadThroughSource, cacheKey: string): string {
  return source.resource.namespaced ? cacheKey : `/${cacheKey}`;
}

/** Waits for `promise`, or answers `error` as soon as `signal` aborts (the shared fetch goes on). */
function abortable(promise: Promise<Outcome>, signal: AbortSignal | undefined): Promise<Outcome> {
  if (signal === undefined) return promise;
  const aborted: Outcome = { status: 'error', message: 'read-through aborted' };
  if (signal.aborted) return Promise.resolve(aborted);
  return new Promise((resolve) => {
    const onAbort = () => resolve(aborted);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      },
      () => resolve({ status: 'error', message: 'read-through failed' }),
    );
  });
}
