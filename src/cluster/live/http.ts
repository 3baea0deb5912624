/**
 * Plain JSON GETs against the API server, authenticated from a `KubeConfig` exactly as the client's
 * own requests are (`applyToHTTPSOptions`: CA, client certificate, bearer token, exec/auth-provider
 * plugins). Objects stay plain JSON: the typed client would turn every list into model instances
 * that the ingest pruning would immediately throw away.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ListDecoder, NotJsonError } from './decode.js';

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** An API failure (not a well-formed non-2xx answer, which is returned as a response). */
export class ApiError extends Error {
  /** The HTTP status, when the server answered (matches the watch errors' `statusCode`). */
  readonly statusCode: number | undefined;
  constructor(message: string, statusCode?: number) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
  }
}

interface GetOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly query?: Record<string, string>;
}

/**
 * GETs `path` (with `query`) and parses the JSON body, whatever the status. Rejects with a readable
 * error on a network failure, a timeout (`timeoutMs`), an abort (`signal`) or a body that is not JSON.
 * Does I/O.
 */
export function getJson(kc: KubeConfig, path: string, options: GetOptions): Promise<ApiResponse> {
  return get(kc, path, options, () => undefined);
}

/**
 * GETs a list: like `getJson`, but a 200 answer is decoded as it arrives (`ListDecoder`), each
 * element of `items` going to `onItem` as soon as it is complete; the response's body is then the
 * list without its items (unless the body did not have the usual shape, see `ListDecoder.end`).
 * Other answers (a `Status`) are parsed whole. An exception from `onItem` fails the request. Does I/O.
 */
export function getList(
  kc: KubeConfig,
  path: string,
  options: GetOptions,
  onItem: (item: unknown) => void,
): Promise<ApiResponse> {
  return get(kc, path, options, (status) => (status === 200 ? new ListDecoder(onItem) : undefined));
}

async function get(
  kc: KubeConfig,
  path: string,
  options: GetOptions,
  decoderFor: (status: number) => ListDecoder | undefined,
): Promise<ApiResponse> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ApiError('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const requestOptions: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(requestOptions);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const transport = url.protocol === 'https:' ? https : http;
  return await new Promise<ApiResponse>((resolve, reject) => {
    const fail = (err: unknown) => {
      if (timeout.aborted) reject(new ApiError(`GET ${path}: timed out after ${options.timeoutMs} ms`));
      else if (signal.aborted) reject(new ApiError(`GET ${path}: aborted`));
      else reject(new ApiError(`GET ${path}: ${networkMessage(err)}`));
    };
    const req = transport.request(url, { ...requestOptions, signal }, (res) => {
      const status = res.statusCode ?? 0;
      const notJson = () => new ApiError(`GET ${path}: HTTP ${status} with a body that is not JSON`, status);
      const decoder = decoderFor(status);
      const chunks: Buffer[] = [];
      let failed = false;
      res.on('data', (chunk: Buffer) => {
        if (failed) return;
        if (decoder === undefined) {
          chunks.push(chunk);
          return;
        }
        try {
          decoder.write(chunk);
        } catch (err) {
          // Stop reading: the answer is already known to be unusable.
          failed = true;
          reject(err instanceof NotJsonError ? notJson() : err);
          req.destroy();
        }
      });
      res.on('error', fail);
      res.on('end', () => {
        if (failed) return;
        try {
          const body = decoder === undefined ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : decoder.end();
          resolve({ status, body });
        } catch (err) {
          reject(err instanceof NotJsonError || err instanceof SyntaxError ? notJson() : err);
        }
      });
    });
    req.on('error', fail);
    req.end();
  });
}

/** The `message` of a Kubernetes `Status` body, else the HTTP status. */
export function statusMessage(response: ApiResponse): string {
  const body = response.body;
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
    return `HTTP ${response.status}: ${body.message}`;
  }
  return `HTTP ${response.status}`;
}

/** A stable description of a network failure (Node words a reset differently depending on timing). */
function networkMessage(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 'ECONNRESET') return 'connection reset (ECONNRESET)';
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  return err instanceof Error ? err.message : String(err);
}
