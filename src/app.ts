/**
 * Builds the HTTP application from its dependencies: POST /filter and /prioritize (the extender
 * verbs), GET /healthz (liveness) and /readyz (readiness). Never listens by itself.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ClusterStore } from './cluster/store.js';
import type { Config } from './config/config.js';
import { type DecideDeps, filter, prioritize } from './extender/decide.js';
import { DecodeError, decodeArgs } from './extender/decode.js';
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

/** The express app for the extender and its probes. */
export function createApp(deps: AppDeps): express.Express {
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

  const body = express.raw({ type: () => true, limit: deps.config.bodyLimit });
  for (const [verb, decide] of [
    ['filter', filter],
    ['prioritize', prioritize],
  ] as const) {
    app.post(`/${verb}`, (req, res, next) => {
      if (!req.is('application/json')) {
        observer.request(verb, 'bad_request', 0);
        sendJson(res, 415, errorBody('Content-Type must be application/json'));
        return;
      }
      next();
    });
    app.post(`/${verb}`, body, async (req: Request, res: Response) => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      const log = deps.logger.child({ req: randomUUID(), verb });
      let args: ReturnType<typeof decodeArgs>;
      try {
        args = decodeArgs(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        observer.error('decode');
        observer.request(verb, 'bad_request', seconds());
        log.info({ err: err.message }, 'bad request');
        sendJson(res, 400, errorBody(err.message));
        return;
      }
      const meta = args.pod.metadata;
      const podLog = log.child({ pod: `${meta?.namespace ?? ''}/${meta?.name ?? ''}` });
      const reply = await decide(args, decideDeps, podLog);
      observer.request(verb, reply.outcome, seconds());
      sendJson(res, 200, reply.body);
    });
  }

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
  // Express error handler: body-parser errors (413, bad encoding) and anything unexpected.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    const verb = req.path.replace(/^\//, '');
    if (e.type === 'entity.too.large') {
      observer.request(verb, 'too_large', 0);
      sendJson(res, 413, errorBody(`request body larger than bodyLimit (${deps.config.bodyLimit} bytes)`));
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      observer.request(verb, 'bad_request', 0);
      sendJson(res, e.status, errorBody(e.message ?? 'bad request'));
      return;
    }
    observer.request(verb, 'internal', 0);
    deps.logger.error({ err }, 'internal error');
    sendJson(res, 500, errorBody('internal error'));
  });
  return app;
}
