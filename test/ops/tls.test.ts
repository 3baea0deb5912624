import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { type Listeners, startListeners } from '../../src/server/listeners.js';
import type { TlsFiles } from '../../src/server/tls.js';
import { call, eventually, outcome } from './support/client.js';
import { createCA, type Issued, type TestCA } from './support/pki.js';

const silent = pino({ level: 'silent' });

/** Answers every call with 200 and the path, like a stand-in extender app. */
const echo: RequestListener = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ path: req.url }));
};

/** Replaces a file atomically (write + rename), so a reload never reads it half-written. */
async function replace(path: string, content: string): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

describe('TLS listener', () => {
  let dir: string;
  let ca: TestCA;
  let otherCA: TestCA;
  let serverCert: Issued;
  const running: Listeners[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-tls-'));
    ca = createCA('scheduler-ca');
    otherCA = createCA('someone-else');
    serverCert = ca.server('source-affinity');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(running.splice(0).map((l) => l.shutdown({ timeoutMs: 1000 })));
  });

  /** Writes the files into a fresh directory and returns their paths. */
  async function files(name: string, server: Issued, clientCA?: string): Promise<TlsFiles> {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'tls.crt'), server.cert);
    await writeFile(join(d, 'tls.key'), server.key);
    if (clientCA === undefined) return { certFile: join(d, 'tls.crt'), keyFile: join(d, 'tls.key') };
    await writeFile(join(d, 'ca.crt'), clientCA);
    return { certFile: join(d, 'tls.crt'), keyFile: join(d, 'tls.key'), clientCAFile: join(d, 'ca.crt') };
  }

  async function start(tls: TlsFiles, api: RequestListener = echo): Promise<Listeners> {
    const l = await startListeners({
      listen: '127.0.0.1:0',
      healthListen: '127.0.0.1:0',
      tls,
      api,
      health: echo,
      logger: silent,
      tlsPollIntervalMs: 100,
    });
    running.push(l);
    return l;
  }

  describe('mutual TLS: who may call filter', () => {
    interface Case {
      readonly name: string;
      readonly client: () => Issued | undefined;
      readonly want: 200 | 'refused';
    }
    const cases: Case[] = [
      { name: 'client without a certificate is refused', client: () => undefined, want: 'refused' },
      {
        name: 'client with a certificate from another CA is refused',
        client: () => otherCA.client('system:kube-scheduler'),
        want: 'refused',
      },
      {
        name: 'client presenting the server certificate of another CA is refused',
        client: () => otherCA.server('source-affinity'),
        want: 'refused',
      },
      {
        name: 'client with a certificate from the client CA is served',
        client: () => ca.client('system:kube-scheduler'),
        want: 200,
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const handshakeErrors: string[] = [];
        const l = await startListeners({
          listen: '127.0.0.1:0',
          healthListen: '127.0.0.1:0',
          tls: await files('mtls', serverCert, ca.cert),
          api: echo,
          health: echo,
          logger: silent,
          onTlsClientError: (err) => handshakeErrors.push(err.message),
        });
        running.push(l);
        const client = tc.client();
        const got = await outcome(
          call(`${l.url}/filter`, { method: 'POST', body: '{}', ca: ca.cert, ...(client ?? {}) }),
        );
        if (tc.want === 'refused') await eventually('the handshake error', async () => handshakeErrors.length > 0);
        expect({ got, handshakeErrors: handshakeErrors.length }).to.deep.equal({
          got: tc.want,
          handshakeErrors: tc.want === 'refused' ? 1 : 0,
        });
      });
    }
  });

  it('without clientCAFile serves HTTPS to clients without a certificate', async () => {
    const l = await start(await files('plain-tls', serverCert));
    expect(l.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await call(`${l.url}/filter`, { method: 'POST', body: '{}', ca: ca.cert });
    expect({ status: reply.status, body: reply.body, fp: reply.serverFingerprint }).to.deep.equal({
      status: 200,
      body: '{"path":"/filter"}',
      fp: fingerprint(serverCert.cert),
    });
  });

  it('serves health and metrics on the plain listener, and never the extender verbs', async () => {
    const l = await start(await files('health', serverCert, ca.cert));
    expect(l.healthUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const got = {
      healthz: (await call(`${l.healthUrl}/healthz`)).status,
      readyz: (await call(`${l.healthUrl}/readyz`)).status,
      metrics: (await call(`${l.healthUrl}/metrics`)).status,
      filter: (await call(`${l.healthUrl}/filter`, { method: 'POST', body: '{}' })).status,
      prioritize: (await call(`${l.healthUrl}/prioritize`, { method: 'POST', body: '{}' })).status,
    };
    expect(got).to.deep.equal({ healthz: 200, readyz: 200, metrics: 200, filter: 404, prioritize: 404 });
  });

  it('without mTLS and without a health listener serves the health paths over TLS too', async () => {
    const tls = await files('shared', serverCert);
    const l = await startListeners({ listen: '127.0.0.1:0', tls, api: echo, health: echo, logger: silent });
    running.push(l);
    const got = {
      sameUrl: l.healthUrl === l.url,
      healthz: await outcome(call(`${l.url}/healthz`, { ca: ca.cert })),
      filter: await outcome(call(`${l.url}/filter`, { method: 'POST', body: '{}', ca: ca.cert })),
    };
    expect(got).to.deep.equal({ sameUrl: true, healthz: 200, filter: 200 });
  });

  it('refuses to start with mTLS but no health listener', async () => {
    const tls = await files('no-health', serverCert, ca.cert);
    let err: unknown;
    try {
      running.push(await startListeners({ listen: '127.0.0.1:0', tls, api: echo, health: echo, logger: silent }));
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/healthListen is required with tls\.clientCAFile/);
  });

  it('rejects with EADDRINUSE when the health address is taken', async () => {
    const first = await start(await files('in-use', serverCert));
    const port = new URL(first.healthUrl).port;
    let err: unknown;
    try {
      running.push(
        await startListeners({
          listen: '127.0.0.1:0',
          healthListen: `127.0.0.1:${port}`,
          api: echo,
          health: echo,
          logger: silent,
        }),
      );
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'EADDRINUSE');
  });

  describe('refuses to start with unusable TLS files, naming the file', () => {
    interface Case {
      readonly name: string;
      readonly tls: (base: TlsFiles) => TlsFiles;
      readonly want: RegExp;
    }
    const cases: Case[] = [
      {
        name: 'missing certificate file',
        tls: (b) => ({ ...b, certFile: join(dir, 'nope.crt') }),
        want: /cannot read certFile ".*nope\.crt"/,
      },
      {
        name: 'key of another certificate',
        tls: (b) => ({ ...b, keyFile: join(dir, 'other', 'tls.key') }),
        want: /certFile ".*tls\.crt" \/ keyFile ".*tls\.key" unusable/,
      },
      {
        name: 'client CA file without a certificate',
        tls: (b) => ({ ...b, clientCAFile: b.keyFile }),
        want: /clientCAFile ".*tls\.key" holds no PEM certificate/,
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        await files('other', ca.server('other'));
        const base = await files('broken', serverCert);
        let err: unknown;
        try {
          await start(tc.tls(base));
        } catch (e) {
          err = e;
        }
        expect(String(err)).to.match(tc.want);
      });
    }
  });

  describe('certificate rotation without restart', () => {
    it('serves a rewritten certificate and key to new connections', async () => {
      const tls = await files('rewrite', serverCert, ca.cert);
      const l = await start(tls);
      const client = ca.client('system:kube-scheduler');
      const fp = async () =>
        (await call(`${l.url}/filter`, { method: 'POST', ca: ca.cert, ...client })).serverFingerprint;
      expect(await fp()).to.equal(fingerprint(serverCert.cert));

      const next = ca.server('source-affinity');
      await replace(tls.keyFile, next.key);
      await replace(tls.certFile, next.cert);
      await eventually('the new certificate', async () => (await fp()) === fingerprint(next.cert));
    });

    it('follows a Kubernetes Secret volume update (atomic ..data symlink swap)', async () => {
      // Layout written by the kubelet: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/
      const d = join(dir, 'secret-volume');
      const writeVersion = async (version: string, server: Issued) => {
        await mkdir(join(d, version), { recursive: true });
        await writeFile(join(d, version, 'tls.crt'), server.cert);
        await writeFile(join(d, version, 'tls.key'), server.key);
        await writeFile(join(d, version, 'ca.crt'), ca.cert);
        await symlink(version, join(d, '..data_tmp'));
        await rename(join(d, '..data_tmp'), join(d, '..data'));
      };
      await writeVersion('..v1', serverCert);
      for (const f of ['tls.crt', 'tls.key', 'ca.crt']) await symlink(join('..data', f), join(d, f));
      const l = await start({
        certFile: join(d, 'tls.crt'),
        keyFile: join(d, 'tls.key'),
        clientCAFile: join(d, 'ca.crt'),
      });
      const client = ca.client('system:kube-scheduler');
      const fp = async () =>
        (await call(`${l.url}/filter`, { method: 'POST', ca: ca.cert, ...client })).serverFingerprint;
      expect(await fp()).to.equal(fingerprint(serverCert.cert));

      const next = ca.server('source-affinity');
      await writeVersion('..v2', next);
      await rm(join(d, '..v1'), { recursive: true });
      await eventually(
        'the certificate of the new Secret version',
        async () => (await fp()) === fingerprint(next.cert),
      );
    });

    it('lets a request that started before the rotation finish on its connection', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let started: () => void = () => {};
      const arrived = new Promise<void>((r) => {
        started = r;
      });
      const slow: RequestListener = (req, res) => {
        if (req.url !== '/slow') return echo(req, res);
        started();
        void gate.then(() => echo(req, res));
      };
      const tls = await files('inflight', serverCert, ca.cert);
      const l = await start(tls, slow);
      const client = ca.client('system:kube-scheduler');
      const inFlight = call(`${l.url}/slow`, { method: 'POST', ca: ca.cert, ...client });
      await arrived;

      const next = ca.server('source-affinity');
      await replace(tls.keyFile, next.key);
      await replace(tls.certFile, next.cert);
      await eventually(
        'the new certificate',
        async () =>
          (await call(`${l.url}/filter`, { method: 'POST', ca: ca.cert, ...client })).serverFingerprint ===
          fingerprint(next.cert),
      );
      release();
      const reply = await inFlight;
      expect({ status: reply.status, body: reply.body, fp: reply.serverFingerprint }).to.deep.equal({
        status: 200,
        body: '{"path":"/slow"}',
        fp: fingerprint(serverCert.cert),
      });
    });

    it('keeps the old pair while only the certificate has been replaced, then takes the new pair', async () => {
      const reloads: string[] = [];
      const tls = await files('half', serverCert, ca.cert);
      const l = await startListeners({
        listen: '127.0.0.1:0',
        healthListen: '127.0.0.1:0',
        tls,
        api: echo,
        health: echo,
        logger: silent,
        tlsPollIntervalMs: 100,
        onTlsReload: (result) => reloads.push(result),
      });
      running.push(l);
      const client = ca.client('system:kube-scheduler');
      const fp = async () =>
        (await call(`${l.url}/filter`, { method: 'POST', ca: ca.cert, ...client })).serverFingerprint;

      const next = ca.server('source-affinity');
      await replace(tls.certFile, next.cert);
      await eventually('the failed reload to be noticed', async () => reloads.includes('error'));
      expect(await fp()).to.equal(fingerprint(serverCert.cert));

      await replace(tls.keyFile, next.key);
      await eventually('the new pair', async () => (await fp()) === fingerprint(next.cert));
      expect(reloads).to.deep.equal(['error', 'ok']);
    });

    it('accepts clients of a new client CA once the CA file is rotated', async () => {
      const newCA = createCA('scheduler-ca-2');
      const tls = await files('ca-rotation', serverCert, ca.cert);
      const l = await start(tls);
      const newClient = newCA.client('system:kube-scheduler');
      const post = () => outcome(call(`${l.url}/filter`, { method: 'POST', ca: ca.cert, ...newClient }));
      expect(await post()).to.equal('refused');

      // A CA bundle holding both CAs, as during a CA roll-over.
      await replace(tls.clientCAFile ?? '', `${ca.cert}${newCA.cert}`);
      await eventually('the new client CA', async () => (await post()) === 200);
    });
  });
});
