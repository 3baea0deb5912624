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

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
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
