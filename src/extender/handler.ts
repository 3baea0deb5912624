/**
 * The HTTP handler of the extender verbs, POST /filter and POST /prioritize, on plain `node:http`
 * request and response objects: kube-scheduler calls it for every pod, serially within its
 * scheduling cycle, so it reads the body into one buffer (sized by Content-Length), decodes it,
 * decides, and writes the reply with nothing in between. Everything else is left to the express
 * app (see `app.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CallLogger, type Logger, lazyChild } from '../observability/logger.js';
import type { RequestObserver } from '../observability/observer.js';
import { type DecideDeps, filter, prioritize, type Reply } from './decide.js';
import { type DecodedArgs, DecodeError, decodeArgs } from './decode.js';
import { bodyBuffer } from './wasm.js';

export type Verb = 'filter' | 'prioritize';

export interface VerbHandlerDeps {
  readonly decide: DecideDeps;
  readonly logger: Logger;
  readonly observer: RequestObserver;
  /** Largest accepted body in bytes; larger ones get 413. */
  readonly bodyLimit: number;
}

const DECIDE: Readonly<Record<Verb, typeof filter>> = { filter, prioritize };

/** The verb a request calls (POST /filter or /prioritize, query ignored), or undefined for any other request. */
export function verbOf(req: IncomingMessage): Verb | undefined {
  if (req.method !== 'POST') return undefined;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path === '/filter' ? 'filter' : path === '/prioritize' ? 'prioritize' : undefined;
}

/** True for `application/json` with any parameters (`; charset=utf-8`), as kube-scheduler sends it. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

class BodyTooLarge extends Error {}

/**
 * Buffers kept for reuse, for request bodies and for replies. Memory of this size comes from the
 * system allocator, and getting it afresh on every call costs more than the rest of a call: a
 * 135 KB reply buffer took ~80 µs to allocate and as much again in page faults while being
 * filled, against ~4 µs to fill a reused one. (A Nodes-mode body of megabytes also made V8 run full
 * collections over everything the process holds.) A buffer returns to the pool when its response
 * has been handed to the socket: a reply may be made of views into the request body.
 */
class BufferPool {
  /** Smaller buffers come from Node's own pool or the allocator's free lists, cheaply. */
  static readonly MIN_SIZE = 16 * 1024;
  static readonly KEEP = 4;
  readonly #free: Buffer[] = [];

  /** `allocate` makes the pool's buffers (of at least MIN_SIZE bytes). */
  constructor(private readonly allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafeSlow(size)) {}

  /** A buffer of exactly `size` bytes, and for a view into a pooled one (large sizes) how to give it back. */
  acquire(size: number): { buf: Buffer; release?: () => void } {
    if (size < BufferPool.MIN_SIZE) return { buf: Buffer.allocUnsafe(size) };
    // Reuse only a buffer of about this size, so that one huge call does not pin its memory forever.
    const i = this.#free.findIndex((b) => b.length >= size && b.length <= 2 * size);
    const whole = i >= 0 ? (this.#free.splice(i, 1)[0] as Buffer) : this.allocate(size);
    let released = false;
    return {
      buf: whole.subarray(0, size),
      release: () => {
        if (released) return;
        released = true;
        if (this.#free.length < BufferPool.KEEP) this.#free.push(whole);
      },
    };
  }
}

/**
 * Reads the whole request body. Rejects with BodyTooLarge as soon as Content-Length or the bytes
 * received exceed `limit`, and with the stream's error if the client goes away. `release`, set for
 * a pooled buffer, gives it back (call it once nothing refers to the body any more). Does I/O.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  pool: BufferPool,
): Promise<{ body: Buffer; release?: () => void }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const known = req.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0;
    if (known && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    // With a Content-Length (kube-scheduler always sends one) chunks are copied once, into place.
    const target = known ? pool.acquire(declared) : undefined;
    const whole = target?.buf;
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (err: unknown) => {
      target?.release?.();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (received + chunk.length > limit || (whole !== undefined && received + chunk.length > whole.length)) {
        req.off('data', onData);
        fail(new BodyTooLarge());
        return;
      }
      if (whole !== undefined) chunk.copy(whole, received);
      else chunks.push(chunk);
      received += chunk.length;
    };
    req.on('data', onData);
    req.once('error', fail);
    req.once('end', () => {
      if (whole === undefined || target === undefined) resolve({ body: Buffer.concat(chunks, received) });
      else {
        const body = received === whole.length ? whole : whole.subarray(0, received);
        resolve(target.release ? { body, release: target.release } : { body });
      }
    });
  });
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Text replies at least this long are encoded into a pooled buffer: Node would otherwise allocate
 * a buffer of that size for the conversion on every call, from fresh memory once it passes the
 * allocator's mmap threshold (128 KiB).
 */
const LARGE_TEXT = 64 * 1024;

/** Pieces at least this long (Node objects echoed from the request) are written as they are. */
const DIRECT_PIECE = 16 * 1024;

/**
 * Writes the reply. Text is encoded into a pooled buffer when large; a sized body is written into
 * one; pieces shorter than DIRECT_PIECE are copied into one pooled buffer, longer ones are written
 * as they are, all in one corked writev.
 */
function send(res: ServerResponse, status: number, body: Reply['body'], pool?: BufferPool): void {
  if (typeof body !== 'string' && 'writeTo' in body) {
    const target = pool?.acquire(body.length) ?? { buf: Buffer.allocUnsafe(body.length) };
    body.writeTo(target.buf);
    if (target.release) res.once('close', target.release);
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': body.length });
    res.end(target.buf);
    return;
  }
  if (typeof body === 'string') {
    const length = Buffer.byteLength(body, 'utf8');
    // Below LARGE_TEXT, Node writes headers and body in one write, converting the string on the way.
    const target = length >= LARGE_TEXT ? pool?.acquire(length) : undefined;
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': length });
    if (target?.release === undefined) {
      res.end(body, 'utf8');
      return;
    }
    target.buf.write(body, 0, 'utf8');
    res.once('close', target.release);
    res.end(target.buf);
    return;
  }
  let length = 0;
  let short = 0;
  for (const p of body) {
    length += p.length;
    if (p.length < DIRECT_PIECE) short += p.length;
  }
  const target = pool?.acquire(short) ?? { buf: Buffer.allocUnsafe(short) };
  const out: Uint8Array[] = [];
  let run = 0;
  let at = 0;
  for (const p of body) {
    if (p.length < DIRECT_PIECE) {
      target.buf.set(p, at);
      at += p.length;
      continue;
    }
    if (at > run) out.push(target.buf.subarray(run, at));
    run = at;
    out.push(p);
  }
  if (at > run) out.push(target.buf.subarray(run, at));
  if (target.release) res.once('close', target.release);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': length });
  if (out.length <= 1) {
    res.end(out[0]);
    return;
  }
  res.cork();
  for (const p of out) res.write(p);
  res.end();
  res.uncork();
}

const errorBody = (message: string): string => JSON.stringify({ error: message });

/** Request ids: unique within the process, and across restarts by the random prefix. */
const ID_PREFIX = Math.floor(Math.random() * 0x100000000)
  .toString(16)
  .padStart(8, '0');
let lastId = 0;
const nextId = (): string => `${ID_PREFIX}-${(++lastId).toString(36)}`;

/**
 * Handles one call of `verb`: 415 unless the body is JSON, 413 beyond the body limit, 400 with a
 * JSON error for a malformed body, otherwise 200 with the decision. Never rejects: an unexpected
 * failure is logged and answered with 500. Does I/O.
 */
export function createVerbHandler(
  deps: VerbHandlerDeps,
): (verb: Verb, req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { observer, logger } = deps;
  // In WebAssembly memory, where the scanner validates them fastest (`wasm.ts`).
  const bodies = new BufferPool((size) => bodyBuffer(size));
  const replies = new BufferPool();
  return async (verb, req, res) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    if (!isJsonContentType(req.headers['content-type'])) {
      req.resume();
      observer.request(verb, 'bad_request', 0);
      send(res, 415, errorBody('Content-Type must be application/json'));
      return;
    }
    let body: Buffer;
    try {
      const read = await readBody(req, deps.bodyLimit, bodies);
      body = read.body;
      // 'close' comes once the response has been handed to the socket (or the client went away).
      if (read.release) res.once('close', read.release);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) return; // the client went away: nobody to answer
      req.resume(); // discard the rest; the connection stays usable
      observer.request(verb, 'too_large', 0);
      send(res, 413, errorBody(`request body larger than bodyLimit (${deps.bodyLimit} bytes)`));
      return;
    }
    const id = nextId();
    let pod = '';
    const log: CallLogger = lazyChild(logger, () => (pod === '' ? { req: id, verb } : { req: id, verb, pod }));
    try {
      let args: DecodedArgs;
      try {
        args = decodeArgs(body);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        observer.error('decode');
        observer.request(verb, 'bad_request', seconds());
        log.info({ err: err.message }, 'bad request');
        send(res, 400, errorBody(err.message));
        return;
      }
      const meta = args.pod.metadata;
      pod = `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
      const reply = await DECIDE[verb](args, deps.decide, log);
      observer.request(verb, reply.outcome, seconds());
      send(res, 200, reply.body, replies);
    } catch (err) {
      observer.request(verb, 'internal', seconds());
      log.error({ err }, 'internal error');
      if (!res.headersSent) send(res, 500, errorBody('internal error'));
      else res.destroy();
    }
  };
}
