/**
 * Shared set-up for the live-store suites: a test API server, a live store talking to it over
 * loopback HTTP with short delays, captured logs, and a polling `eventually`.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLiveStore, type LiveStore, type LiveStoreOptions } from '../../src/cluster/live/index.js';
import type { ClusterStore } from '../../src/cluster/store.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { type ApiObject, TestApiServer, type TestApiServerOptions } from '../support/apiserver.js';

/** Delays short enough for a reconnect storm in milliseconds, long enough to stay measurable. */
export const FAST: Omit<LiveStoreOptions, 'kubeConfig' | 'logger'> = {
  backoff: { initialMs: 5, maxMs: 40, factor: 2, jitter: 0.5 },
  discoveryIntervalMs: 50,
  readThroughTimeoutMs: 500,
  negativeCacheTtlMs: 150,
  listTimeoutMs: 2_000,
};

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Harness {
  readonly api: TestApiServer;
  readonly store: LiveStore;
  readonly logs: LogLine[];
  close(): Promise<void>;
}

export interface HarnessOptions extends TestApiServerOptions {
  readonly store?: Partial<Omit<LiveStoreOptions, 'kubeConfig' | 'logger'>>;
  /** Start the store and wait until it is ready (default true). */
  readonly ready?: boolean;
}

/** Starts an API server with `objects`, and a live store on it (started and ready unless `ready: false`). */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const api = await TestApiServer.start(options);
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line));
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const store = createLiveStore({ kubeConfig: api.kubeConfig(), logger, ...FAST, ...options.store });
  if (options.ready ?? true) {
    await store.start();
    await eventually(() => store.readiness().ready === true || fail(store.readiness().detail));
  }
  return {
    api,
    store,
    logs,
    async close() {
      await store.stop();
      await api.close();
    },
  };
}

function fail(detail: unknown): never {
  throw new Error(`not yet: ${JSON.stringify(detail)}`);
}

/**
 * Calls `check` until it returns without throwing (and not `false`), every few milliseconds, for at
 * most `timeoutMs`; then rethrows its last error. Returns its last value.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      throw new Error('condition is false');
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What the store answers, summarized as plain data so a test can compare all of it at once: each
 * object by key, reduced to the fields the scenario varies (labels of nodes, the bound volume of
 * claims and so on).
 */
export interface StoreView {
  readonly nodes: Record<string, string>;
  readonly pvs: Record<string, string>;
  readonly pvcs: Record<string, string>;
  readonly classes: Record<string, string>;
}

/** The view of the store for the given object keys (missing objects appear as `missing`). */
export function view(
  store: ClusterStore,
  keys: { nodes?: string[]; pvs?: string[]; pvcs?: string[]; classes?: string[] },
): StoreView {
  const zone = (obj: KubeObject | undefined) =>
    obj === undefined ? 'missing' : (obj.metadata?.labels?.['topology.kubernetes.io/zone'] ?? 'no zone');
  const pvcs: Record<string, string> = {};
  for (const key of keys.pvcs ?? []) {
    const [ns = '', name = ''] = key.split('/');
    const pvc = store.getPersistentVolumeClaim(ns, name);
    pvcs[key] = pvc === undefined ? 'missing' : (pvc.spec?.volumeName ?? 'unbound');
  }
  return {
    // The node table (what the request path reads) must say what the Node cache says.
    nodes: Object.fromEntries(
      (keys.nodes ?? []).map((n) => {
        const cached = zone(store.getNode(n));
        const table = zone(store.nodeTable().get(n)?.node);
        return [n, cached === table ? cached : `cache: ${cached}, node table: ${table}`];
      }),
    ),
    pvs: Object.fromEntries((keys.pvs ?? []).map((n) => [n, zone(store.getPersistentVolume(n))])),
    pvcs,
    classes: Object.fromEntries(
      (keys.classes ?? []).map((n) => [n, store.getStorageClass(n)?.volumeBindingMode ?? 'missing']),
    ),
  };
}

export type { ApiObject };
