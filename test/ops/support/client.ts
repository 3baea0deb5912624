import { type Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented (HTTPS only). */
  readonly serverFingerprint?: string;
}

export interface CallOptions {
  readonly method?: string;
  readonly body?: string;
  /** Trust these CAs for the server certificate (HTTPS). */
  readonly ca?: string;
  /** Client certificate and key for mTLS. */
  readonly cert?: string;
  readonly key?: string;
  readonly agent?: HttpAgent;
}

/** One HTTP(S) call to a loopback server; rejects on connection or TLS errors. */
export function call(url: string, options: CallOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      u,
      {
        method: options.method ?? 'GET',
        headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
        ...(options.agent ? { agent: options.agent } : { agent: false }),
        ...(tls
          ? {
              servername: 'localhost',
              ...(options.ca === undefined ? {} : { ca: options.ca }),
              ...(options.cert === undefined ? {} : { cert: options.cert }),
              ...(options.key === undefined ? {} : { key: options.key }),
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const fingerprint = tls ? (res.socket as TLSSocket).getPeerCertificate?.().fingerprint256 : undefined;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(fingerprint ? { serverFingerprint: fingerprint } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Whether the call failed before any HTTP reply (refused connection, failed handshake). */
export async function outcome(p: Promise<Reply>): Promise<number | 'refused'> {
  try {
    return (await p).status;
  } catch {
    return 'refused';
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
