/** A loopback HTTP client for the hardening suites: any method, headers and raw body bytes. */
import { Agent, request } from 'node:http';
import type { Answer } from './fuzz.js';

export interface Send {
  readonly method?: string;
  readonly path: string;
  /** Raw bytes; sent with a Content-Length unless `chunked`. */
  readonly body?: Buffer;
  /** Content-Type header; omitted when null. Default `application/json`. */
  readonly contentType?: string | null;
  readonly chunked?: boolean;
}

/** One keep-alive connection at a time, as kube-scheduler's client uses it. */
export const keepAlive = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 });

/** Sends one request to `base` (e.g. `http://127.0.0.1:8888`); rejects after `timeoutMs` without a full reply. */
export function send(base: string, s: Send, agent?: Agent, timeoutMs = 20_000): Promise<Answer> {
  const url = new URL(s.path, base);
  const headers: Record<string, string> = {};
  const contentType = s.contentType === undefined ? 'application/json' : s.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  // Explicit framing: Node's client does not chunk OPTIONS or DELETE bodies by itself.
  if (s.body !== undefined) {
    if (s.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(s.body.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: s.method ?? 'POST', headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (s.body !== undefined && s.chunked) {
      // Two chunks, so the body arrives as a stream without a declared length.
      const half = Math.floor(s.body.length / 2);
      req.write(s.body.subarray(0, half));
      req.end(s.body.subarray(half));
    } else req.end(s.body);
  });
}
