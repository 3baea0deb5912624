/**
 * Slow and abusive clients against the real listeners and app (in-process, loopback): slowloris
 * headers, trickled bodies, connection floods, stalled TLS handshakes and idle keep-alive
 * connections are bounded by `limits`, and kube-scheduler's calls are still answered meanwhile.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { StaticStore } from '../../src/cluster/static.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { DEFAULT_LIMITS, type Listeners, type ServerLimits, startListeners } from '../../src/server/listeners.js';
import { killAll, scratch, startServe } from '../cli/support/cli.js';
import { eventually } from '../live/harness.js';
import { createCA } from '../ops/support/pki.js';
import { keepAlive, send } from './support/client.js';
import { type Answer, CLUSTER, SENTINEL } from './support/fuzz.js';

const LIMITS: ServerLimits = {
  maxConnections: 64,
  maxInFlight: 4,
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 300,
  maxRequestsPerSocket: 3,
};

const silent = pino({ level: 'silent' });

/** A raw TCP client that records what the server sends and when it closes the connection. */
interface Raw {
  readonly socket: Socket;
  received: string;
  closed: boolean;
}

async function raw(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  const r: Raw = { socket, received: '', closed: false };
  socket.on('data', (d: Buffer) => {
    r.received += d.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    r.closed = true;
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  return r;
}

/** Writes one header line every `everyMs`, forever (until the socket closes): a slowloris client. */
function trickle(r: Raw, first: string, everyMs: number): void {
  r.socket.write(first);
  const timer = setInterval(() => {
    if (r.closed) clearInterval(timer);
    else r.socket.write('X-Slow: 1\r\n');
  }, everyMs);
  r.socket.once('close', () => clearInterval(timer));
}

const portOf = (url: string) => Number(new URL(url).port);

describe('slow and abusive clients (listeners with short limits, in-process)', function () {
  this.timeout(30_000);
  const running: Listeners[] = [];
  const sockets: Raw[] = [];
  const events = { overload: 0, dropped: 0 };
  let sentinelReply: Answer;

  async function start(limits: ServerLimits = LIMITS, tls?: { certFile: string; keyFile: string }): Promise<Listeners> {
    const store = new StaticStore();
    for (const o of CLUSTER) store.add(o);
    const app = createApp({ store, config: loadConfig(), logger: createLogger('silent') });
    const l = await startListeners({
      listen: '127.0.0.1:0',
      ...(tls ? { tls } : {}),
      api: app,
      health: app,
      logger: silent,
      limits,
      onOverload: () => events.overload++,
      onConnectionDropped: () => events.dropped++,
    });
    running.push(l);
    return l;
  }

  before(async () => {
    const l = await start();
    sentinelReply = await send(l.url, { path: '/filter', body: Buffer.from(SENTINEL) });
    expect(sentinelReply.status).to.equal(200);
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.socket.destroy();
    await Promise.all(running.splice(0).map((l) => l.shutdown({ timeoutMs: 500 })));
    events.overload = 0;
    events.dropped = 0;
  });

  it('slowloris: calls are answered while 40 connections trickle headers, which are cut after headersTimeout', async () => {
    const l = await start();
    for (let i = 0; i < 40; i++) {
      const r = await raw(portOf(l.url));
      trickle(r, 'POST /filter HTTP/1.1\r\nHost: x\r\n', 50);
      sockets.push(r);
    }
    const agent = keepAlive();
    const answers: { reply: Answer; slowOpen: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await send(l.url, { path: '/filter', body: Buffer.from(SENTINEL) }, agent);
      answers.push({ reply, slowOpen: sockets.filter((s) => !s.closed).length });
    }
    agent.destroy();
    // Every call was answered correctly while all 40 slow connections were still open...
    expect(answers).to.deep.equal(Array.from({ length: 5 }, () => ({ reply: sentinelReply, slowOpen: 40 })));
    // ...and the server, not the clients, ended every one of them.
    await eventually(() => sockets.every((s) => s.closed), 5_000);
  });

  it('a trickled body gets 408 after requestTimeout', async () => {
    const l = await start();
    const r = await raw(portOf(l.url));
    sockets.push(r);
    trickle(
      r,
      'POST /filter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
      50,
    );
    // The trickle keeps writing header-like bytes into the body: the body never completes.
    await eventually(() => r.closed, 5_000);
    expect(r.received.split('\r\n')[0]).to.equal('HTTP/1.1 408 Request Timeout');
  });

  it('maxInFlight: a call beyond it gets 503 with a JSON error while probes answer; the slots free when the slow calls are cut', async () => {
    const l = await start();
    for (let i = 0; i < LIMITS.maxInFlight; i++) {
      const r = await raw(portOf(l.url));
      r.socket.write(
        'POST /filter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
      sockets.push(r);
    }
    // The handler has started for every slow call once the server has read their headers.
    await eventually(async () => (await send(l.url, { path: '/filter', body: Buffer.from(SENTINEL) })).status === 503);
    const refused = await send(l.url, { path: '/prioritize', body: Buffer.from(SENTINEL) });
    const health = await send(l.url, { method: 'GET', path: '/healthz' });
    await eventually(() => sockets.every((s) => s.closed), 5_000);
    const after = await send(l.url, { path: '/filter', body: Buffer.from(SENTINEL) });
    expect({
      refused: { status: refused.status, body: JSON.parse(refused.body) },
      health: health.status,
      after,
      overloadCounted: events.overload >= 2,
    }).to.deep.equal({
      refused: { status: 503, body: { error: 'too many calls in flight (limits.maxInFlight: 4)' } },
      health: 200,
      after: sentinelReply,
      overloadCounted: true,
    });
  });

  it('maxConnections: a connection beyond it is closed at once and counted; others are accepted again later', async () => {
    const l = await start({ ...LIMITS, maxConnections: 5 });
    for (let i = 0; i < 5; i++) sockets.push(await raw(portOf(l.url)));
    const extra = await raw(portOf(l.url));
    sockets.push(extra);
    await eventually(() => extra.closed, 2_000);
    const dropped = events.dropped;
    for (const s of sockets) s.socket.destroy();
    await eventually(async () => (await send(l.url, { path: '/filter', body: Buffer.from(SENTINEL) })).status === 200);
    expect({ extraGotBytes: extra.received, dropped }).to.deep.equal({ extraGotBytes: '', dropped: 1 });
  });

  it('a TLS handshake that never completes is cut after headersTimeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-slow-tls-'));
    try {
      const ca = createCA('slow-ca');
      const server = ca.server('source-affinity');
      await writeFile(join(dir, 'tls.crt'), server.cert);
      await writeFile(join(dir, 'tls.key'), server.key);
      const l = await start(LIMITS, { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') });
      const r = await raw(portOf(l.url));
      sockets.push(r);
      await eventually(() => r.closed, 5_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keep-alive: the last call allowed on a connection says Connection: close; an idle connection is closed after keepAliveTimeout', async () => {
    const l = await start();
    const r = await raw(portOf(l.url));
    sockets.push(r);
    const get = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    r.socket.write(get + get + get);
    await eventually(() => r.closed, 5_000);
    const connection = [...r.received.matchAll(/^Connection: (\S+)/gim)].map((m) => m[1]);
    const idle = await raw(portOf(l.url));
    sockets.push(idle);
    idle.socket.write(get);
    await eventually(() => idle.closed, 5_000);
    expect({ connection, idleAnswered: idle.received.startsWith('HTTP/1.1 200') }).to.deep.equal({
      connection: ['keep-alive', 'keep-alive', 'close'],
      idleAnswered: true,
    });
  });
});

describe('limits in the config file', () => {
  const files = scratch();
  after(async () => {
    await killAll();
    files.cleanup();
  });

  const errorsOf = (text: string): readonly string[] => {
    try {
      loadConfig(files.file(`limits-${Math.random().toString(36).slice(2)}.yaml`, text));
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.errors;
      throw err;
    }
  };

  const cases: { name: string; text: string; want: readonly string[] | ServerLimits }[] = [
    { name: 'absent: the built-in limits', text: 'logLevel: info\n', want: DEFAULT_LIMITS },
    {
      name: 'given in part: the other keys keep their defaults',
      text: 'limits:\n  maxInFlight: 2\n',
      want: { ...DEFAULT_LIMITS, maxInFlight: 2 },
    },
    {
      name: 'wrong types and ranges: every error with its path',
      text: 'limits:\n  maxConnections: 0\n  maxInFlight: many\n  keepAliveTimeoutMs: 1.5\n  slowloris: true\n',
      want: [
        'limits.maxConnections: must be >= 1',
        'limits.maxInFlight: must be integer',
        'limits.keepAliveTimeoutMs: must be integer',
        'limits.slowloris: unknown key',
      ],
    },
    {
      name: 'a headers timeout longer than the request timeout',
      text: 'limits:\n  headersTimeoutMs: 5000\n  requestTimeoutMs: 1000\n',
      want: ['limits.headersTimeoutMs: must not exceed limits.requestTimeoutMs'],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const got = Array.isArray(tc.want)
        ? [...errorsOf(tc.text)].sort()
        : loadConfig(files.file(`ok-${tc.name.length}.yaml`, tc.text)).limits;
      expect(got).to.deep.equal(Array.isArray(tc.want) ? [...tc.want].sort() : tc.want);
    });
  }

  it('serve applies them: a slowloris connection to the child process is cut after limits.headersTimeoutMs', async function () {
    this.timeout(20_000);
    const state = files.file('cluster.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: CLUSTER }));
    const config = files.file('slow.yaml', 'limits:\n  headersTimeoutMs: 300\n  requestTimeoutMs: 600\n');
    const server = await startServe(['--state', state, '--config', config, '--listen', '127.0.0.1:0']);
    const r = await raw(portOf(server.url));
    trickle(r, 'POST /filter HTTP/1.1\r\nHost: x\r\n', 50);
    try {
      // Node's default would hold it for 60 s.
      await eventually(() => r.closed, 5_000);
    } finally {
      r.socket.destroy();
    }
  });
});
