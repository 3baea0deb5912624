/**
 * The naive floor: a kube-scheduler extender on plain `node:http` that `JSON.parse`s the whole
 * request and `JSON.stringify`s the pass-everything reply: what every extender that decodes the
 * request into objects and encodes its reply pays at least. Used as the baseline of every ratio.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

interface EchoArgs {
  readonly Pod?: unknown;
  readonly Nodes?: { readonly items?: readonly { readonly metadata?: { readonly name?: string } }[] } | null;
  readonly NodeNames?: readonly string[] | null;
}

/** The pass-everything reply for one verb, or undefined for an unknown path. */
export function echoReply(path: string | undefined, args: EchoArgs): unknown {
  if (path === '/filter') {
    if (args.NodeNames) return { NodeNames: args.NodeNames, FailedNodes: {}, Error: '' };
    return { Nodes: args.Nodes, FailedNodes: {}, Error: '' };
  }
  if (path === '/prioritize') {
    const hosts = args.NodeNames ?? (args.Nodes?.items ?? []).map((n) => n.metadata?.name ?? '');
    return hosts.map((host) => ({ Host: host, Score: 0 }));
  }
  return undefined;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Header asking for a constant reply of that many bytes instead of the echo (the harness's transfer floor). */
export const FLOOR_HEADER = 'x-bench-reply-bytes';

/** `n` bytes of valid JSON: `{"x":"aaa…"}` (at least 8). */
export function constantReply(n: number): Buffer {
  const body = Buffer.alloc(Math.max(8, n), 0x61);
  body.write('{"x":"', 0, 'latin1');
  body.write('"}', body.length - 2, 'latin1');
  return body;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  const floor = Number(req.headers[FLOOR_HEADER]);
  if (floor > 0) {
    // The cost of moving this request and a reply of that size, and nothing else.
    const body = constantReply(floor);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    return;
  }
  req.on('end', () => {
    let args: EchoArgs;
    try {
      args = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EchoArgs;
    } catch (err) {
      reply(res, 400, { error: `malformed request: ${(err as Error).message}` });
      return;
    }
    const body = req.method === 'POST' ? echoReply(req.url, args) : undefined;
    if (body === undefined) reply(res, 404, { error: 'not found' });
    else reply(res, 200, body);
  });
}

/** An echo extender server (not listening yet). */
export function createEchoServer(): Server {
  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  return server;
}
