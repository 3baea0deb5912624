/**
 * Drives a server over loopback HTTP the way kube-scheduler does: POST `application/json` on a
 * keep-alive connection, one request at a time per connection.
 */
import { Agent, request } from 'node:http';

export interface Exchange {
  readonly status: number;
  /** Milliseconds from starting the request to the last byte of the reply. */
  readonly ms: number;
  readonly bytes: number;
  /** The reply body, only when asked for (collecting it costs time that is not measured for the baseline either). */
  readonly body?: Buffer;
}

export interface Burst {
  readonly wallMs: number;
  readonly latencies: readonly number[];
  /** The size of the last reply's body. */
  readonly bytes: number;
}

export class Client {
  readonly #agent: Agent;
  readonly #base: URL;

  /** `connections` keep-alive sockets at most (kube-scheduler uses one per extender per scheduling goroutine). */
  constructor(baseUrl: string, connections = 1) {
    this.#base = new URL(baseUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** POSTs `body` to `path` and resolves when the whole reply has arrived. Does I/O. */
  post(path: string, body: Buffer, keepBody: boolean, headers: Record<string, string> = {}): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          agent: this.#agent,
          host: this.#base.hostname,
          port: this.#base.port,
          method: 'POST',
          path,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (keepBody) chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - started;
            const status = res.statusCode ?? 0;
            resolve(keepBody ? { status, ms, bytes, body: Buffer.concat(chunks) } : { status, ms, bytes });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Sends `total` requests with `concurrency` in flight at a time; resolves with the wall time and
   * each request's latency in milliseconds, rejects on the first non-200 reply. Does I/O.
   */
  async burst(
    path: string,
    body: Buffer,
    total: number,
    concurrency: number,
    headers: Record<string, string> = {},
  ): Promise<Burst> {
    let next = 0;
    let last = 0;
    const latencies: number[] = [];
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < total) {
        next++;
        const { status, ms, bytes } = await this.post(path, body, false, headers);
        if (status !== 200) throw new Error(`${path}: HTTP ${status}`);
        latencies.push(ms);
        last = bytes;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { wallMs: performance.now() - started, latencies, bytes: last };
  }

  close(): void {
    this.#agent.destroy();
  }
}
