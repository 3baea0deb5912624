import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { call, outcome } from './support/client.js';
import { createCA, type TestCA } from './support/pki.js';
import { type Child, runCli } from './support/process.js';

const NODES = `apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {topology.kubernetes.io/zone: zone-a}
`;

/** A pod without claims, in the NodeNames form kube-scheduler sends with nodeCacheCapable: true. */
const FILTER_BODY = JSON.stringify({
  Pod: { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
  Nodes: null,
  NodeNames: ['n1'],
});

describe('source-affinity serve (child process)', () => {
  let dir: string;
  let ca: TestCA;
  const children: Child[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-serve-'));
    await writeFile(join(dir, 'nodes.yaml'), NODES);
    ca = createCA('scheduler-ca');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => {
    for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  });

  function serve(args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
    const c = runCli(['serve', '--state', join(dir, 'nodes.yaml'), ...args], env);
    children.push(c);
    return c;
  }

  it('on SIGTERM closes idle keep-alive connections, logs the shutdown and exits 0', async () => {
    const c = serve(['--listen', '127.0.0.1:0']);
    const url = String((await c.waitFor('listening')).url);
    const agent = new Agent({ keepAlive: true });
    try {
      const reply = await call(`${url}/filter`, { method: 'POST', body: FILTER_BODY, agent });
      expect({ status: reply.status, names: JSON.parse(reply.body).NodeNames }).to.deep.equal({
        status: 200,
        names: ['n1'],
      });
      const t0 = Date.now();
      c.proc.kill('SIGTERM');
      expect(await c.exited).to.equal(0);
      // The idle keep-alive connection did not hold the process for Node's 5 s keep-alive timeout.
      expect(Date.now() - t0).to.be.below(3000);
    } finally {
      agent.destroy();
    }
    const tail = c.logs.slice(-2).map((l) => ({ msg: l.msg, signal: l.signal, forced: l.forced }));
    expect(tail).to.deep.equal([
      { msg: 'shutting down', signal: 'SIGTERM', forced: undefined },
      { msg: 'stopped', signal: undefined, forced: false },
    ]);
    expect(await outcome(call(`${url}/healthz`))).to.equal('refused');
  });

  it('serves filter over mTLS and health and metrics on the plain listener', async () => {
    const server = ca.server('source-affinity');
    await writeFile(join(dir, 'tls.crt'), server.cert);
    await writeFile(join(dir, 'tls.key'), server.key);
    await writeFile(join(dir, 'ca.crt'), ca.cert);
    const config = join(dir, 'mtls.yaml');
    await writeFile(
      config,
      [
        'listen: 127.0.0.1:0',
        'healthListen: 127.0.0.1:0',
        'tls:',
        `  certFile: ${join(dir, 'tls.crt')}`,
        `  keyFile: ${join(dir, 'tls.key')}`,
        `  clientCAFile: ${join(dir, 'ca.crt')}`,
        '',
      ].join('\n'),
    );
    const c = serve(['--config', config]);
    const ready = await c.waitFor('listening');
    const url = String(ready.url);
    const healthUrl = String(ready.healthUrl);
    expect({ url: url.slice(0, 8), healthUrl: healthUrl.slice(0, 7), mtls: ready.mtls }).to.deep.equal({
      url: 'https://',
      healthUrl: 'http://',
      mtls: true,
    });

    const client = ca.client('system:kube-scheduler');
    const withCert = await call(`${url}/filter`, { method: 'POST', body: FILTER_BODY, ca: ca.cert, ...client });
    const withoutCert = await outcome(call(`${url}/filter`, { method: 'POST', body: FILTER_BODY, ca: ca.cert }));
    expect({ withCert: withCert.status, names: JSON.parse(withCert.body).NodeNames, withoutCert }).to.deep.equal({
      withCert: 200,
      names: ['n1'],
      withoutCert: 'refused',
    });

    const metrics = await call(`${healthUrl}/metrics`);
    const lines = metrics.body.split('\n');
    const notAfter = Math.floor(Date.now() / 1000) + 24 * 3600;
    expect({
      status: metrics.status,
      contentType: metrics.headers['content-type'],
      filterOk: lines.filter((l) => l.startsWith('source_affinity_request_duration_seconds_count{verb="filter"')),
      fastPath: lines.filter((l) => l.startsWith('source_affinity_fast_path_total')),
      handshakeErrors: lines.filter((l) => l.startsWith('source_affinity_tls_handshake_errors_total')),
      tlsExpiryWithinAMinute: lines.some((l) => {
        const m = /^source_affinity_tls_certificate_not_after_seconds (\d+)$/.exec(l);
        return m !== null && Math.abs(Number(m[1]) - notAfter) < 60;
      }),
      readyz: (await call(`${healthUrl}/readyz`)).status,
      filterOnHealthListener: (await call(`${healthUrl}/filter`, { method: 'POST', body: FILTER_BODY })).status,
    }).to.deep.equal({
      status: 200,
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      filterOk: ['source_affinity_request_duration_seconds_count{verb="filter",outcome="ok"} 1'],
      fastPath: ['source_affinity_fast_path_total{verb="filter"} 1'],
      // The call without a client certificate.
      handshakeErrors: ['source_affinity_tls_handshake_errors_total 1'],
      tlsExpiryWithinAMinute: true,
      readyz: 200,
      filterOnHealthListener: 404,
    });

    c.proc.kill('SIGTERM');
    expect(await c.exited).to.equal(0);
  });

  describe('listen address and log level: flags win over the environment, which wins over the file', () => {
    interface Case {
      readonly name: string;
      readonly file: string;
      readonly env: NodeJS.ProcessEnv;
      readonly flags: readonly string[];
      readonly want: string;
    }
    const cases: Case[] = [
      { name: 'the file alone', file: 'listen: 127.0.0.2:0\n', env: {}, flags: [], want: '127.0.0.2' },
      {
        // The file's log level would hide the info "listening" line: seeing it proves the environment won.
        name: 'the environment over the file',
        file: 'listen: 127.0.0.2:0\nlogLevel: warn\n',
        env: { SOURCE_AFFINITY_LISTEN: '127.0.0.3:0', SOURCE_AFFINITY_LOG_LEVEL: 'info' },
        flags: [],
        want: '127.0.0.3',
      },
      {
        name: 'the flag over the environment',
        file: 'listen: 127.0.0.2:0\n',
        env: { SOURCE_AFFINITY_LISTEN: '127.0.0.3:0' },
        flags: ['--listen', '127.0.0.4:0'],
        want: '127.0.0.4',
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const file = join(dir, `precedence-${cases.indexOf(tc)}.yaml`);
        await writeFile(file, tc.file);
        const c = serve(['--config', file, ...tc.flags], tc.env);
        const url = new URL(String((await c.waitFor('listening')).url));
        c.proc.kill('SIGTERM');
        expect({ host: url.hostname, exit: await c.exited }).to.deep.equal({ host: tc.want, exit: 0 });
      });
    }
  });

  it('exits non-zero before listening when the TLS files are unusable', async () => {
    const config = join(dir, 'missing-tls.yaml');
    await writeFile(
      config,
      `listen: 127.0.0.1:0\ntls:\n  certFile: ${join(dir, 'absent.crt')}\n  keyFile: ${join(dir, 'absent.key')}\n`,
    );
    const c = serve(['--config', config]);
    expect({ exit: await c.exited, listening: c.logs.some((l) => l.msg === 'listening') }).to.deep.equal({
      exit: 1,
      listening: false,
    });
    expect(c.stderr()).to.match(/^source-affinity: cannot serve: tls: cannot read certFile ".*absent\.crt"/);
  });
});
