import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { formatUrl, parseListenAddress } from './address.js';
import {
  type CertificateInfo,
  certificateInfo,
  contextOptions,
  loadTlsMaterial,
  type TlsFiles,
  TlsReloader,
} from './tls.js';

/**
 * Bounds on what clients may hold, so that slow or abusive clients cannot starve kube-scheduler's
 * calls or exhaust memory (config key `limits`; defaults in `config/default.yaml`).
 */
export interface ServerLimits {
  /** Open connections per listener; a connection beyond it is closed at once (Node's `server.maxConnections`). */
  readonly maxConnections: number;
  /** Extender calls being read or decided at once; beyond it a call gets 503 (health paths are not counted). */
  readonly maxInFlight: number;
  /** Time to receive a request's headers (and, under TLS, to complete the handshake); then the connection is cut. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included; then it gets 408 and the connection is closed. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (longer than the client's own idle timeout). */
  readonly keepAliveTimeoutMs: number;
  /** Requests served on one connection before it is closed (`Connection: close` on the last); 0: no limit. */
  readonly maxRequestsPerSocket: number;
}

/** The built-in limits; `config/default.yaml` documents the same values (a test keeps them equal). */
export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  maxConnections: 512,
  maxInFlight: 16,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Longer than kube-scheduler's idle-connection timeout (Go's transport default, 90 s): the
  // client always closes an idle connection first, so it never sends a call on one the server is
  // closing at that moment.
  keepAliveTimeoutMs: 95_000,
  maxRequestsPerSocket: 1_000,
});

/** Paths served by the health handler; everything else goes to the extender handler. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export interface ListenersOptions {
  /** `HOST:PORT` for the extender verbs (HTTPS when `tls` is set). */
  readonly listen: string;
  /**
   * `HOST:PORT` for a plain-HTTP listener with `/healthz`, `/readyz`, `/metrics` (and nothing
   * else). Required under mTLS: kubelet probes and Prometheus cannot present a client certificate.
   * When absent, the health paths are served on `listen` (over TLS when `tls` is set).
   */
  readonly healthListen?: string;
  readonly tls?: TlsFiles;
  /** Handles `POST /filter` and `POST /prioritize` (typically the express app from `app.ts`). */
  readonly api: RequestListener;
  /** Handles `GET /healthz`, `GET /readyz` and `GET /metrics`. */
  readonly health: RequestListener;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** TLS file poll period (change events are also watched). Default 10 s. */
  readonly tlsPollIntervalMs?: number;
  readonly onTlsReload?: (result: 'ok' | 'error', info?: CertificateInfo) => void;
  /** A client failed the TLS handshake (e.g. no or a wrong client certificate under mTLS). */
  readonly onTlsClientError?: (err: Error) => void;
  /** Connection and request bounds (default `DEFAULT_LIMITS`). */
  readonly limits?: ServerLimits;
  /** An extender call was refused with 503 because `maxInFlight` calls were already running. */
  readonly onOverload?: () => void;
  /** A connection was closed at once because `maxConnections` were already open. */
  readonly onConnectionDropped?: () => void;
}

export interface ShutdownOptions {
  /**
   * Keep serving (with `/readyz` failing) this long before closing the listeners, so endpoints
   * and kube-proxy stop routing new connections here first. Default 0.
   */
  readonly drainDelayMs?: number;
  /** Give in-flight requests this long to finish, then cut the remaining connections. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface ShutdownResult {
  /** True when connections were still open at the deadline and were destroyed. */
  readonly forced: boolean;
}

export interface Listeners {
  /** Base URL of the extender listener, e.g. `https://127.0.0.1:8443` (the real port when 0 was asked). */
  readonly url: string;
  /** Base URL of the listener that serves the health paths (equal to `url` when shared). */
  readonly healthUrl: string;
  /** The certificate served at start, when TLS is on. */
  readonly certificate?: CertificateInfo;
  /** True from the moment shutdown starts; `/readyz` then answers 503 whatever the app says. */
  readonly draining: boolean;
  /**
   * Readiness goes false, then (after `drainDelayMs`) the listeners stop accepting, idle keep-alive
   * connections close, in-flight requests finish with `Connection: close`, and connections still
   * open at `timeoutMs` are destroyed. Idempotent: later calls return the same promise.
   */
  shutdown(options?: ShutdownOptions): Promise<ShutdownResult>;
}

interface Tracked {
  readonly server: Server | HttpsServer;
  readonly sockets: Set<Socket>;
  readonly inFlight: Set<ServerResponse>;
}

/**
 * Starts the extender listener (plain HTTP, or HTTPS with optional client-certificate
 * verification) and, when configured, a separate plain health listener. Resolves once every
 * listener is bound; rejects (with nothing left listening) when a file or address is unusable.
 * Does I/O: binds sockets, reads and watches the TLS files.
 */
export async function startListeners(opts: ListenersOptions): Promise<Listeners> {
  if (opts.tls?.clientCAFile !== undefined && opts.healthListen === undefined) {
    throw new Error(
      'healthListen is required with tls.clientCAFile: probes and scrapers cannot present a client certificate',
    );
  }
  const apiAddr = parseListenAddress(opts.listen);
  const healthAddr = opts.healthListen === undefined ? undefined : parseListenAddress(opts.healthListen);
  const material = opts.tls ? await loadTlsMaterial(opts.tls) : undefined;

  let draining = false;
  const health: RequestListener = (req, res) => {
    const path = pathOf(req.url);
    // The plain listener must never expose the extender verbs, whatever the health handler routes.
    if (!HEALTH_PATHS.has(path)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}\n');
      return;
    }
    if (draining && path === '/readyz') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"ready":false,"reason":"shutting down"}\n');
      return;
    }
    opts.health(req, res);
  };
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const api = limitInFlight(opts.api, limits.maxInFlight, opts.onOverload);
  const shared: RequestListener = (req, res) => (HEALTH_PATHS.has(pathOf(req.url)) ? health(req, res) : api(req, res));

  const apiListener = healthAddr === undefined ? shared : api;
  const serverOptions = {
    // Node checks headersTimeout and requestTimeout only this often (default 30 s).
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const httpsServer =
    material === undefined
      ? undefined
      : createHttpsServer(
          {
            ...serverOptions,
            ...contextOptions(material),
            // mTLS: the handshake fails unless the client presents a certificate from clientCAFile.
            requestCert: material.ca !== undefined,
            rejectUnauthorized: material.ca !== undefined,
            minVersion: 'TLSv1.2',
            // A client that opens a connection and never completes the handshake is not an HTTP
            // request yet: without this it would hold the connection for Node's default 120 s.
            handshakeTimeout: limits.headersTimeoutMs,
          },
          apiListener,
        );
  const apiServer = httpsServer ?? createHttpServer(serverOptions, apiListener);
  const onTlsClientError = opts.onTlsClientError;
  if (httpsServer && onTlsClientError) httpsServer.on('tlsClientError', (err) => onTlsClientError(err));
  const servers: Tracked[] = [track(apiServer)];
  if (healthAddr !== undefined) servers.push(track(createHttpServer(serverOptions, health)));
  for (const t of servers) applyLimits(t.server, limits, opts.onConnectionDropped);

  const urls: string[] = [];
  try {
    for (const [i, t] of servers.entries()) {
      const addr = i === 0 ? apiAddr : (healthAddr ?? apiAddr);
      t.server.listen(addr.port, addr.host);
      await once(t.server, 'listening'); // rejects on 'error' (address in use, not permitted)
      const bound = t.server.address() as AddressInfo;
      urls.push(formatUrl(i === 0 && material ? 'https' : 'http', addr.host, bound.port));
    }
  } catch (err) {
    for (const t of servers) t.server.close();
    throw err;
  }

  const reloader =
    opts.tls && material && httpsServer
      ? new TlsReloader({
          files: opts.tls,
          initial: material,
          apply: (m) => httpsServer.setSecureContext(contextOptions(m)),
          logger: opts.logger,
          ...(opts.tlsPollIntervalMs === undefined ? {} : { pollIntervalMs: opts.tlsPollIntervalMs }),
          ...(opts.onTlsReload === undefined ? {} : { onReload: opts.onTlsReload }),
        })
      : undefined;

  let stopping: Promise<ShutdownResult> | undefined;
  const url = urls[0] ?? '';
  return {
    url,
    healthUrl: urls[1] ?? url,
    ...(material ? { certificate: certificateInfo(material) } : {}),
    get draining() {
      return draining;
    },
    shutdown(options = {}) {
      if (!stopping) {
        draining = true;
        stopping = drain(servers, options).finally(() => reloader?.stop());
      }
      return stopping;
    },
  };
}

/**
 * Wraps the extender handler so that at most `max` calls are being read or decided at once; a call
 * beyond that gets 503 with a JSON error (kube-scheduler retries the pod) instead of queueing
 * bodies of up to `bodyLimit` bytes each in memory.
 */
function limitInFlight(api: RequestListener, max: number, onOverload?: () => void): RequestListener {
  let inFlight = 0;
  return (req, res) => {
    if (inFlight >= max) {
      onOverload?.();
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
      res.end(`{"error":"too many calls in flight (limits.maxInFlight: ${max})"}\n`);
      return;
    }
    inFlight++;
    res.once('close', () => inFlight--);
    api(req, res);
  };
}

/** Applies the connection, timeout and keep-alive bounds to one listener. */
function applyLimits(server: Server | HttpsServer, limits: ServerLimits, onDrop?: () => void): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  if (onDrop) server.on('drop', () => onDrop());
}

function pathOf(url = '/'): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function track(server: Server | HttpsServer): Tracked {
  const t: Tracked = { server, sockets: new Set(), inFlight: new Set() };
  // Raw TCP sockets, including TLS handshakes not yet seen by the HTTP layer, so the deadline can cut them.
  server.on('connection', (s: Socket) => {
    t.sockets.add(s);
    s.once('close', () => t.sockets.delete(s));
  });
  // Runs before the app's listener, so the header can still be set.
  server.prependListener('request', (_req, res: ServerResponse) => {
    t.inFlight.add(res);
    res.once('close', () => t.inFlight.delete(res));
    if (!server.listening) res.setHeader('connection', 'close');
  });
  return t;
}

async function drain(servers: readonly Tracked[], options: ShutdownOptions): Promise<ShutdownResult> {
  const delay = options.drainDelayMs ?? 0;
  if (delay > 0) await sleep(delay);
  const closed = servers.map((t) => new Promise<void>((resolve) => t.server.close(() => resolve())));
  for (const t of servers) {
    // Responses not yet started tell the client to drop the connection afterwards; idle keep-alive
    // connections are closed now and again as in-flight requests finish.
    for (const res of t.inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    t.server.closeIdleConnections();
  }
  const sweep = setInterval(() => {
    for (const t of servers) t.server.closeIdleConnections();
  }, 25);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? 10_000);
  });
  try {
    const outcome = await Promise.race([Promise.all(closed).then(() => 'closed' as const), deadline]);
    if (outcome === 'closed') return { forced: false };
    for (const t of servers) {
      t.server.closeAllConnections();
      for (const s of t.sockets) s.destroy();
    }
    await Promise.all(closed);
    return { forced: true };
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
