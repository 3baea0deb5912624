/**
 * One resource's list+watch loop: a `@kubernetes/client-node` `ListWatch` feeding an
 * `IndexedCache`, made resilient.
 *
 * What the client's `ListWatch` does by itself (read in its `cache.ts`): relist when a watch ends
 * with 410 Gone (as an HTTP status or an ERROR event), re-watch from the last resourceVersion when a
 * watch ends cleanly (with its own 1 s → 30 s delay, reset by any event). What it does not do: after
 * any other error (list failure, 5xx/429, connection refused or reset) it calls its `error` handlers
 * and stops for good. This wrapper restarts it after a capped exponential backoff with jitter, keeps
 * the cache (last known state) meanwhile, and records the sync state.
 *
 * Objects are pruned (`Resource.strip`) before the `ListWatch` sees them, both in lists and in watch
 * events, so neither its cache nor ours ever holds a full object.
 */
import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from '../types.js';
import type { IndexedCache } from './cache.js';
import { ApiError, getList, statusMessage } from './http.js';
import { type Resource, resourcePath } from './resources.js';
import { Backoff, type BackoffSettings, type Clock, jittered } from './timing.js';

/** What an informer reports about itself (for readiness, metrics and logs). */
export interface InformerState {
  /** Has listed successfully at least once since it was started. */
  readonly synced: boolean;
  /** A watch stream is open now (the cache follows the API server). */
  readonly watching: boolean;
  /** When the cache was last confirmed current: the last successful list or watch (re)connection (epoch ms). */
  readonly lastSyncTime?: number;
  /** Restarts after a failure since the store started (clean watch reconnects are not counted). */
  readonly restarts: number;
  /** Why the last attempt failed, until the next success. */
  readonly lastError?: string;
}

export interface InformerDeps {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly backoff: BackoffSettings;
  readonly listTimeoutMs: number;
  readonly listPageSize: number;
  /** Called on every failure with its HTTP status, if any (the store re-checks discovery on 404). */
  readonly onFailure?: (statusCode: number | undefined) => void;
}

/** The element type the client's `ListWatch` is declared with; ours differs only by readonly-ness. */
function toClient(obj: KubeObject): KubernetesObject {
  return obj as KubernetesObject;
}

export class Informer {
  readonly resource: Resource;
  readonly #cache: IndexedCache<KubeObject>;
  readonly #deps: InformerDeps;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  /** The current run; replaced on each `start()`, cleared by `stop()`. */
  #run: Run | undefined;
  #restarts = 0;
  #synced = false;
  #watching = false;
  #lastSyncTime: number | undefined;
  #lastError: string | undefined;
  #watchingSince: number | undefined;

  constructor(resource: Resource, cache: IndexedCache<KubeObject>, deps: InformerDeps) {
    this.resource = resource;
    this.#cache = cache;
    this.#deps = deps;
    this.#log = deps.logger.child({ resource: resource.plural });
    this.#backoff = new Backoff(deps.backoff, deps.clock.random);
  }

  get running(): boolean {
    return this.#run !== undefined;
  }

  state(): InformerState {
    return {
      synced: this.#synced,
      watching: this.#watching,
      restarts: this.#restarts,
      ...(this.#lastSyncTime === undefined ? {} : { lastSyncTime: this.#lastSyncTime }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  /** Starts listing and watching in the background (a no-op when running). Does I/O. */
  start(): void {
    if (this.#run !== undefined) return;
    const run = new Run();
    this.#run = run;
    this.#synced = false;
    const watch = new PruningWatch(this.#deps.kubeConfig, this.resource, run, {
      connected: () => {
        this.#watching = true;
        this.#watchingSince = this.#deps.clock.now();
        this.#lastSyncTime = this.#deps.clock.now();
        this.#lastError = undefined;
      },
      event: () => this.#backoff.reset(),
      ended: () => {
        this.#watching = false;
      },
    });
    const informer = new ListWatch<KubernetesObject>(
      resourcePath(this.resource),
      watch,
      () => this.#list(run),
      false,
      undefined,
      undefined,
      // The client's own delay between clean reconnects (1 s doubling to 30 s while watches end
      // without events) is rescaled to our backoff settings, and cut short by `stop()`.
      { delayFn: (ms) => run.sleep(this.#deps.clock, this.#reconnectDelay(ms)) },
    );
    run.listWatch = informer;
    const upsert = (obj: KubernetesObject) => this.#cache.upsert(obj);
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (obj) => this.#cache.remove(this.#cache.keyOf(obj)));
    informer.on('error', (err: unknown) => this.#failed(run, err));
    this.#log.info('informer starting');
    this.#launch(run);
  }

  /** The client's clean-reconnect delay (based on 1 s) rescaled to our initial delay, capped and jittered. */
  #reconnectDelay(clientMs: number): number {
    const { backoff, clock } = this.#deps;
    return jittered(backoff, clock.random, (clientMs / 1000) * backoff.initialMs);
  }

  /** Stops the loop and any pending restart; the cache keeps its contents. */
  async stop(): Promise<void> {
    const run = this.#run;
    if (run === undefined) return;
    this.#run = undefined;
    this.#watching = false;
    run.stop(this.#deps.clock);
    await run.listWatch?.stop();
  }

  #launch(run: Run): void {
    run.listWatch?.start().catch((err: unknown) => this.#failed(run, err));
  }

  /** The list function given to `ListWatch`: all pages, pruned, then made the cache's whole content. */
  async #list(run: Run): Promise<{ metadata: { resourceVersion: string }; items: KubernetesObject[] }> {
    if (run.stopped) throw new ApiError('informer stopped');
    const items: KubeObject[] = [];
    let resourceVersion = '';
    let continueToken = '';
    do {
      const query: Record<string, string> = { limit: String(this.#deps.listPageSize) };
      if (continueToken !== '') query.continue = continueToken;
      // Each item is pruned as soon as it is decoded: a page is never held whole (see decode.ts).
      const add = (raw: unknown) => {
        const obj = this.resource.strip(raw);
        if (obj !== undefined) items.push(obj);
      };
      const options = { timeoutMs: this.#deps.listTimeoutMs, signal: run.signal, query };
      const response = await getList(this.#deps.kubeConfig, resourcePath(this.resource), options, add);
      if (response.status !== 200) throw new ApiError(`list: ${statusMessage(response)}`, response.status);
      const page = asList(response.body);
      if (resourceVersion === '') resourceVersion = page.resourceVersion;
      // Empty unless the body had an unusual shape the decoder left whole.
      for (const raw of page.items) add(raw);
      continueToken = page.continue;
    } while (continueToken !== '');
    if (run.stopped) throw new ApiError('informer stopped');
    // Replace here rather than through the ListWatch's callbacks: objects that only a read-through
    // put in the cache are dropped too when the API server no longer has them.
    this.#cache.replaceAll(items);
    const relist = this.#synced;
    this.#synced = true;
    this.#lastSyncTime = this.#deps.clock.now();
    this.#lastError = undefined;
    this.#backoff.reset();
    this.#log.info({ objects: items.length, relist }, 'cache synced');
    return { metadata: { resourceVersion }, items: items.map(toClient) };
  }

  #failed(run: Run, err: unknown): void {
    // A stopped ListWatch reports its own abort as an error: not a failure.
    if (run.stopped || this.#run !== run) return;
    this.#watching = false;
    // A watch that stayed up longer than the longest delay was a success: start the backoff over
    // (client-go's reflector resets its backoff after a healthy period the same way).
    const since = this.#watchingSince;
    this.#watchingSince = undefined;
    if (since !== undefined && this.#deps.clock.now() - since >= this.#deps.backoff.maxMs) this.#backoff.reset();
    const statusCode = statusOf(err);
    this.#lastError = describe(err);
    const delayMs = this.#backoff.next();
    this.#log.warn({ reason: this.#lastError, statusCode, restartInMs: delayMs }, 'informer failed');
    this.#deps.onFailure?.(statusCode);
    run.schedule(this.#deps.clock, delayMs, () => {
      this.#restarts++;
      this.#log.info({ restarts: this.#restarts }, 'informer restarting');
      this.#launch(run);
    });
  }
}

/** One start..stop of an informer: cancels its pending timers and refuses new watches once stopped. */
class Run {
  stopped = false;
  readonly #abort = new AbortController();
  /** Aborted by `stop()`: cancels a list in flight. */
  readonly signal = this.#abort.signal;
  listWatch: ListWatch<KubernetesObject> | undefined;
  #timer: unknown;
  readonly #sleepers = new Set<() => void>();

  schedule(clock: Clock, ms: number, fn: () => void): void {
    if (this.stopped) return;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.stopped) fn();
    }, ms);
  }

  /** A delay that ends early when the run stops. */
  sleep(clock: Clock, ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#sleepers.delete(done);
        clock.clearTimeout(handle);
        resolve();
      };
      const handle = clock.setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  stop(clock: Clock): void {
    this.stopped = true;
    this.#abort.abort();
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const wake of [...this.#sleepers]) wake();
  }
}

interface WatchHooks {
  connected(): void;
  event(): void;
  ended(): void;
}

/**
 * The client's `Watch`, with three changes: events' objects are pruned before the `ListWatch` caches
 * them; bookmarks are requested (so a quiet resource's resourceVersion stays fresh and reconnects
 * rarely need a relist); and once the run is stopped no new watch is opened — the client's
 * `ListWatch` would otherwise open one after a reconnect delay that outlived `stop()`.
 */
class PruningWatch extends Watch {
  readonly #resource: Resource;
  readonly #run: Run;
  readonly #hooks: WatchHooks;

  constructor(kc: KubeConfig, resource: Resource, run: Run, hooks: WatchHooks) {
    super(kc);
    this.#resource = resource;
    this.#run = run;
    this.#hooks = hooks;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    if (this.#run.stopped) {
      controller.abort();
      return controller;
    }
    let ended = false;
    const onEvent = (phase: string, obj: unknown, raw?: unknown) => {
      this.#hooks.event();
      if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
        const pruned = this.#resource.strip(obj);
        if (pruned !== undefined) callback(phase, pruned, raw);
      } else {
        callback(phase, obj, raw);
      }
    };
    const onDone = (err: unknown) => {
      ended = true;
      this.#hooks.ended();
      done(err);
    };
    try {
      const inner = await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, onEvent, onDone);
      // Stopped while connecting: the ListWatch had no handle to abort yet, so close it here.
      if (this.#run.stopped) inner.abort();
      else if (!ended) this.#hooks.connected();
      return inner;
    } catch (err) {
      // `Watch.watch` only throws before connecting (e.g. no current cluster); report it the way
      // every other failure is reported, never as a rejection nobody awaits.
      queueMicrotask(() => onDone(err));
      return controller;
    }
  }
}

interface ListPage {
  readonly resourceVersion: string;
  readonly continue: string;
  readonly items: readonly unknown[];
}

function asList(body: unknown): ListPage {
  if (typeof body !== 'object' || body === null || !('items' in body) || !Array.isArray(body.items)) {
    throw new ApiError('list: response has no items');
  }
  const metadata =
    'metadata' in body && typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {};
  const rv =
    'resourceVersion' in metadata && typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '';
  const cont = 'continue' in metadata && typeof metadata.continue === 'string' ? metadata.continue : '';
  return { resourceVersion: rv, continue: cont, items: body.items };
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  if ('statusCode' in err && typeof err.statusCode === 'number') return err.statusCode;
  if ('code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

/** A short reason for logs and sync state: the message, with the cause's code for network errors. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return code === undefined ? err.message : `${err.message} (${code})`;
}
