/**
 * Builds the HTTP application from its dependencies: POST /filter and /prioritize (the extender
 * verbs), GET /healthz (liveness) and /readyz (readiness). Never listens by itself.
 */
import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ClusterStore } from './cluster/store.js';
import type { Config } from './config/config.js';
import type { DecideDeps } from './extender/decide.js';
import { createVerbHandler, verbOf } from './extender/handler.js';
import type { Logger } from './observability/logger.js';
import { noopObserver, type RequestObserver } from './observability/observer.js';

export interface Readiness {
  readonly ready: boolean;
  readonly detail?: Record<string, unknown>;
}

export interface AppDeps {
  readonly store: ClusterStore;
  readonly config: Pick<Config, 'drivers' | 'cannotDecide' | 'bodyLimit'>;
  readonly logger: Logger;
  readonly observer?: RequestObserver;
  /** Readiness of the store (live caches synced); always ready when omitted (static state). */
  readonly readiness?: () => Readiness;
}

function sendJson(res: Response, status: number, body: string): void {
  res.status(status).type('application/json').send(body);
}

function errorBody(message: string): string {
  return JSON.stringify({ error: message });
}

/**
 * The request listener for the extender and its probes: POST /filter and /prioritize go straight
 * to the verb handler (the hot path: every pod, serially in kube-scheduler's scheduling cycle), so
 * they never pay for express's request setup and routing; everything else goes to an express app.
 */
export function createApp(deps: AppDeps): RequestListener {
  const observer = deps.observer ?? noopObserver;
  const decideDeps: DecideDeps = { store: deps.store, config: deps.config, observer };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    const r = deps.readiness?.() ?? { ready: true };
    res.status(r.ready ? 200 : 503).json({ ready: r.ready, ...(r.detail ? { detail: r.detail } : {}) });
  });

  app.all(['/filter', '/prioritize'], (_req, res) => {
    res.set('Allow', 'POST');
    sendJson(res, 405, errorBody('method not allowed: use POST'));
  });
  app.use((_req, res) => {
    sendJson(
      res,
      404,
      errorBody('not found: the extender serves POST /filter, POST /prioritize, GET /healthz, GET /readyz'),
    );
  });
  // Express error handler: anything unexpected outside the extender verbs.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    const verb = req.path.replace(/^\//, '');
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      observer.request(verb, 'bad_request', 0);
      sendJson(res, e.status, errorBody(e.message ?? 'bad request'));
      return;
    }
    observer.request(verb, 'internal', 0);
    deps.logger.error({ err }, 'internal error');
    sendJson(res, 500, errorBody('internal error'));
  });
  const verbs = createVerbHandler({
    decide: decideDeps,
    logger: deps.logger,
    observer,
    bodyLimit: deps.config.bodyLimit,
  });
  return (req, res) => {
    const verb = verbOf(req);
    if (verb === undefined) app(req, res);
    else void verbs(verb, req, res);
  };
}
