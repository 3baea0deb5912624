import type { RequestListener } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObserver } from './observer.js';

/**
 * Request latency buckets in seconds: a decision from warm caches takes well under a millisecond,
 * kube-scheduler's default extender timeout is 5 s, so the buckets span 100 µs to 5 s.
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** What a store reports about one cached resource kind (e.g. `persistentvolumeclaims`). */
export interface CacheStat {
  readonly resource: string;
  /** Objects currently held. */
  readonly objects: number;
  /** Whether the cache has completed its initial list (and is not known to be stale). */
  readonly synced: boolean;
  /** Unix time in seconds of the last successful list or watch event, when known. */
  readonly lastSyncSeconds?: number;
}

/** Called at every scrape; must be cheap and must not throw. */
export type CacheStatsSource = () => readonly CacheStat[];

export interface MetricsOptions {
  /** Package version, exported as `source_affinity_build_info{version}`. */
  readonly version?: string;
  /** Cache object counts and sync state, read at scrape time. Absent: the cache gauges stay empty. */
  readonly cacheStats?: CacheStatsSource;
  /** Export Node.js process metrics (`process_*`, `nodejs_*`). Default true. */
  readonly processMetrics?: boolean;
}

/** The Prometheus side of the extender: an observer for the handlers and a registry to render. */
export interface Metrics {
  readonly registry: Registry;
  /** Feed this to the app; every call only updates in-memory counters (no I/O). */
  readonly observer: RequestObserver;
  /** A served TLS certificate was loaded: its expiry, as Unix seconds. */
  tlsCertificateLoaded(notAfterSeconds: number): void;
  /** A TLS reload attempt finished: `ok` (new material in use) or `error` (old material kept). */
  tlsReload(result: 'ok' | 'error'): void;
  /** A client failed the TLS handshake (under mTLS: no or an untrusted client certificate). */
  tlsHandshakeError(): void;
  /** The exposition text and its content type, for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * Creates a fresh registry with every source-affinity metric registered on it (never the prom-client
 * global registry, so several instances can coexist in one process, as in tests). Does no I/O.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const duration = new Histogram({
    name: 'source_affinity_request_duration_seconds',
    help: 'Time to answer a kube-scheduler call, by verb (filter, prioritize) and outcome (ok, error, bad_request, too_large, internal).',
    labelNames: ['verb', 'outcome'] as const,
    buckets: [...DURATION_BUCKETS],
    registers,
  });
  const filterNodes = new Counter({
    name: 'source_affinity_filter_nodes_total',
    help: 'Candidate nodes seen by filter calls, by result (passed, failed).',
    labelNames: ['result'] as const,
    registers,
  });
  const rejections = new Counter({
    name: 'source_affinity_rejections_total',
    help: 'Nodes rejected by filter, by reason code (one count per code per rejected node).',
    labelNames: ['reason'] as const,
    registers,
  });
  const fastPath = new Counter({
    name: 'source_affinity_fast_path_total',
    help: 'Calls answered without evaluating nodes because the pod has no constraining claim, by verb.',
    labelNames: ['verb'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'source_affinity_errors_total',
    help: 'Errors an operator should see counted, by kind (decode, cannot_decide, read_through, ...).',
    labelNames: ['kind'] as const,
    registers,
  });
  // Registered on first use, so a server without TLS exports no misleading 0.
  let tlsNotAfter: Gauge | undefined;
  const tlsReloads = new Counter({
    name: 'source_affinity_tls_reloads_total',
    help: 'Attempts to load changed TLS files, by result (ok: now in use; error: previous material kept).',
    labelNames: ['result'] as const,
    registers,
  });
  const tlsHandshakeErrors = new Counter({
    name: 'source_affinity_tls_handshake_errors_total',
    help: 'Clients that failed the TLS handshake (under mTLS: no client certificate, or one from another CA).',
    registers,
  });
  const buildInfo = new Gauge({
    name: 'source_affinity_build_info',
    help: 'Always 1; the version label says which build is running.',
    labelNames: ['version'] as const,
    registers,
  });
  buildInfo.set({ version: options.version ?? 'unknown' }, 1);
  // Series that exist from the first scrape, so rate() and absent() queries work before any traffic.
  for (const result of ['passed', 'failed']) filterNodes.inc({ result }, 0);
  for (const result of ['ok', 'error']) tlsReloads.inc({ result }, 0);

  const cacheStats = options.cacheStats;
  if (cacheStats) {
    // Gauges computed at scrape time from the store, so they can never lag behind it.
    const read = (): readonly CacheStat[] => {
      try {
        return cacheStats();
      } catch {
        return [];
      }
    };
    new Gauge({
      name: 'source_affinity_cache_objects',
      help: 'Objects held in the cache, by resource.',
      labelNames: ['resource'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of read()) this.set({ resource: s.resource }, s.objects);
      },
    });
    new Gauge({
      name: 'source_affinity_cache_synced',
      help: '1 when the cache of this resource has synced and is current, else 0.',
      labelNames: ['resource'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of read()) this.set({ resource: s.resource }, s.synced ? 1 : 0);
      },
    });
    new Gauge({
      name: 'source_affinity_cache_last_sync_timestamp_seconds',
      help: 'Unix time of the last successful list or watch event, by resource.',
      labelNames: ['resource'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of read()) {
          if (s.lastSyncSeconds !== undefined) this.set({ resource: s.resource }, s.lastSyncSeconds);
        }
      },
    });
  }

  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const observer: RequestObserver = {
    request(verb, outcome, seconds) {
      duration.observe({ verb, outcome }, seconds);
    },
    filterNodes(passed, failed) {
      if (passed > 0) filterNodes.inc({ result: 'passed' }, passed);
      if (failed > 0) filterNodes.inc({ result: 'failed' }, failed);
    },
    rejection(code, count = 1) {
      rejections.inc({ reason: code }, count);
    },
    fastPath(verb) {
      fastPath.inc({ verb });
    },
    error(kind) {
      errors.inc({ kind });
    },
  };

  return {
    registry,
    observer,
    tlsCertificateLoaded(notAfterSeconds) {
      tlsNotAfter ??= new Gauge({
        name: 'source_affinity_tls_certificate_not_after_seconds',
        help: 'Expiry (Unix seconds) of the serving certificate currently in use.',
        registers,
      });
      tlsNotAfter.set(notAfterSeconds);
    },
    tlsReload(result) {
      tlsReloads.inc({ result });
    },
    tlsHandshakeError() {
      tlsHandshakeErrors.inc();
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** `GET /metrics` (and HEAD): the exposition text; any other method gets 405. */
export function metricsListener(metrics: Pick<Metrics, 'render'>): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end('{"error":"method not allowed"}\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"cannot render metrics"}\n');
      },
    );
  };
}
