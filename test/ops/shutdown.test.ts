import { Agent, type RequestListener } from 'node:http';
import { expect } from 'chai';
import { pino } from 'pino';
import { type Listeners, startListeners } from '../../src/server/listeners.js';
import { call, eventually, outcome } from './support/client.js';

const silent = pino({ level: 'silent' });

/** A stand-in app: `/slow` waits for `release()`, `/hang` never answers, anything else answers at once. */
function gatedApp() {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let arrived = 0;
  const handler: RequestListener = (req, res) => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    };
    if (req.url === '/hang') {
      arrived++;
      return;
    }
    if (req.url === '/slow') {
      arrived++;
      void gate.then(answer);
      return;
    }
    answer();
  };
  return { handler, release: () => release(), arrivals: () => arrived };
}

describe('graceful shutdown', () => {
  const running: Listeners[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((l) => l.shutdown({ timeoutMs: 200 })));
  });

  async function start(api: RequestListener, healthListen?: string): Promise<Listeners> {
    const l = await startListeners({
      listen: '127.0.0.1:0',
      ...(healthListen === undefined ? {} : { healthListen }),
      api,
      health: api,
      logger: silent,
    });
    running.push(l);
    return l;
  }

  it('fails readiness first while still serving calls during the drain delay', async () => {
    const app = gatedApp();
    const l = await start(app.handler);
    expect((await call(`${l.url}/readyz`)).status).to.equal(200);
    const done = l.shutdown({ drainDelayMs: 400, timeoutMs: 2000 });
    const during = {
      draining: l.draining,
      readyz: await call(`${l.url}/readyz`).then((r) => ({ status: r.status, body: r.body })),
      healthz: (await call(`${l.url}/healthz`)).status,
      filter: (await call(`${l.url}/filter`, { method: 'POST', body: '{}' })).status,
    };
    expect(during).to.deep.equal({
      draining: true,
      readyz: { status: 503, body: '{"ready":false,"reason":"shutting down"}\n' },
      healthz: 200,
      filter: 200,
    });
    expect(await done).to.deep.equal({ forced: false });
    expect(await outcome(call(`${l.url}/healthz`))).to.equal('refused');
  });

  it('finishes in-flight requests (telling the client to close) and refuses new connections', async () => {
    const app = gatedApp();
    const l = await start(app.handler, '127.0.0.1:0');
    const inFlight = call(`${l.url}/slow`, { method: 'POST', body: '{}' });
    await eventually('the request to arrive', async () => app.arrivals() === 1);

    const done = l.shutdown({ timeoutMs: 5000 });
    await eventually(
      'the listeners to stop accepting',
      async () => (await outcome(call(`${l.url}/filter`))) === 'refused',
    );
    expect(await outcome(call(`${l.healthUrl}/healthz`))).to.equal('refused');
    app.release();

    const reply = await inFlight;
    expect({ status: reply.status, connection: reply.headers.connection, body: reply.body }).to.deep.equal({
      status: 200,
      connection: 'close',
      body: '{"path":"/slow"}',
    });
    expect(await done).to.deep.equal({ forced: false });
  });

  it('closes idle keep-alive connections instead of waiting for their timeout', async () => {
    const app = gatedApp();
    const l = await start(app.handler);
    const agent = new Agent({ keepAlive: true });
    try {
      expect((await call(`${l.url}/filter`, { method: 'POST', body: '{}', agent })).status).to.equal(200);
      const t0 = Date.now();
      expect(await l.shutdown({ timeoutMs: 5000 })).to.deep.equal({ forced: false });
      // Node's keep-alive timeout is 5 s: finishing well before shows the idle socket was closed.
      expect(Date.now() - t0).to.be.below(1000);
    } finally {
      agent.destroy();
    }
  });

  it('cuts requests still running at the deadline', async () => {
    const app = gatedApp();
    const l = await start(app.handler);
    const hung = outcome(call(`${l.url}/hang`, { method: 'POST', body: '{}' }));
    await eventually('the request to arrive', async () => app.arrivals() === 1);
    const t0 = Date.now();
    expect(await l.shutdown({ timeoutMs: 300 })).to.deep.equal({ forced: true });
    const elapsed = Date.now() - t0;
    expect(elapsed).to.be.within(250, 2000);
    expect(await hung).to.equal('refused');
  });

  it('returns the same result to every caller', async () => {
    const l = await start(gatedApp().handler);
    const first = l.shutdown({ timeoutMs: 1000 });
    expect(l.shutdown()).to.equal(first);
    expect(await first).to.deep.equal({ forced: false });
  });
});
