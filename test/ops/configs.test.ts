import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { main } from '../../src/cli.js';
import { call } from './support/client.js';
import { at, list, readYaml, single, str } from './support/manifests.js';
import { createCA, type TestCA } from './support/pki.js';
import { REPO, runCli } from './support/process.js';

/** Runs the CLI in-process; resolves to the exit status and what it printed. */
async function cli(argv: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

/** Config examples: YAML files under config/, manifests/ and examples/ that are not Kubernetes objects. */
function configExamples(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.yaml')) {
        // A single mapping without apiVersion: a source-affinity config, not Kubernetes objects.
        const docs = parseAllDocuments(readFileSync(join(REPO, path), 'utf8'));
        const doc: unknown = Array.isArray(docs) && docs.length === 1 ? docs[0]?.toJS() : undefined;
        if (typeof doc === 'object' && doc !== null && !('apiVersion' in doc)) found.push(path);
      }
    }
  };
  for (const dir of ['config', 'manifests', 'examples']) walk(dir);
  return found.sort();
}

/** The in-cluster paths of the TLS files (the Secret mount), replaced by local test files. */
const IN_CLUSTER_TLS_DIR = '/etc/source-affinity-tls';

describe('config files', () => {
  let dir: string;
  let ca: TestCA;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-configs-'));
    ca = createCA('scheduler-ca');
    const server = ca.server('source-affinity');
    await writeFile(join(dir, 'tls.crt'), server.cert);
    await writeFile(join(dir, 'tls.key'), server.key);
    await writeFile(join(dir, 'ca.crt'), ca.cert);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The file with its in-cluster TLS paths pointing at this test's files (the content is otherwise unchanged). */
  async function localised(file: string): Promise<string> {
    const text = readFileSync(join(REPO, file), 'utf8').replaceAll(`${IN_CLUSTER_TLS_DIR}/`, `${dir}/`);
    const out = join(dir, file.replaceAll('/', '_'));
    await writeFile(out, text);
    return out;
  }

  it('the examples found include the defaults and the ConfigMap', () => {
    expect(configExamples()).to.include.members(['config/default.yaml', 'manifests/base/config.yaml']);
  });

  describe('every config example passes check-config', () => {
    for (const file of configExamples()) {
      it(file, async () => {
        const path = await localised(file);
        expect(await cli(['check-config', path])).to.deep.equal({ status: 0, out: `${path}: ok\n`, err: '' });
      });
    }
  });

  describe('check-config refuses what serve would refuse, naming the problem', () => {
    interface Case {
      readonly name: string;
      readonly config: (d: string) => string;
      readonly want: RegExp;
    }
    const cases: Case[] = [
      {
        name: 'a TLS file that does not exist',
        config: (d) => `tls:\n  certFile: ${d}/absent.crt\n  keyFile: ${d}/tls.key\n`,
        want: /tls: cannot read certFile ".*absent\.crt"/,
      },
      {
        name: 'a key that does not belong to the certificate',
        config: (d) => `tls:\n  certFile: ${d}/tls.crt\n  keyFile: ${d}/other.key\n`,
        want: /keyFile ".*other\.key" unusable/,
      },
      {
        name: 'a client CA file that holds no certificate',
        config: (d) =>
          `healthListen: 127.0.0.1:8080\ntls:\n  certFile: ${d}/tls.crt\n  keyFile: ${d}/tls.key\n  clientCAFile: ${d}/tls.key\n`,
        want: /clientCAFile ".*tls\.key" holds no PEM certificate/,
      },
      {
        name: 'mTLS without a health listener (probes could not get through)',
        config: (d) => `tls:\n  certFile: ${d}/tls.crt\n  keyFile: ${d}/tls.key\n  clientCAFile: ${d}/ca.crt\n`,
        want: /healthListen: required with tls\.clientCAFile/,
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        await writeFile(join(dir, 'other.key'), ca.server('other').key);
        const file = join(dir, `bad-${cases.indexOf(tc)}.yaml`);
        await writeFile(file, tc.config(dir));
        const got = await cli(['check-config', file]);
        expect({ status: got.status, out: got.out }).to.deep.equal({ status: 1, out: '' });
        expect(got.err).to.match(tc.want);
      });
    }
  });

  it('the ConfigMap config serves the verbs kube-scheduler calls over mTLS and the probes the Deployment uses', async () => {
    // The real file, with free loopback ports instead of 0.0.0.0:8443/8080 and local TLS files.
    const path = await localised('manifests/base/config.yaml');
    await writeFile(
      path,
      readFileSync(path, 'utf8')
        .replace(/^listen: .*$/m, 'listen: 127.0.0.1:0')
        .replace(/^healthListen: .*$/m, 'healthListen: 127.0.0.1:0'),
    );
    const child = runCli(['serve', '--config', path, '--state', join(REPO, 'examples/demo/cluster.yaml')]);
    try {
      const ready = await child.waitFor('listening');
      const sched = readYaml('manifests/scheduler/kube-scheduler-config.yaml');
      const ext = single(list(sched, 'extenders'), 'extender');
      const container = single(
        list(readYaml('manifests/base/deployment.yaml'), 'spec.template.spec.containers'),
        'container',
      );
      const body = readFileSync(join(REPO, 'examples/demo/requests/filter-web.json'), 'utf8');
      const client = ca.client('system:kube-scheduler');
      const verb = async (name: string) =>
        (await call(`${String(ready.url)}/${str(ext, name)}`, { method: 'POST', body, ca: ca.cert, ...client })).status;
      const probe = async (which: string) =>
        (await call(`${String(ready.healthUrl)}${str(container, `${which}.httpGet.path`)}`)).status;
      expect({
        filter: await verb('filterVerb'),
        prioritize: await verb('prioritizeVerb'),
        readiness: await probe('readinessProbe'),
        liveness: await probe('livenessProbe'),
        metrics: (await call(`${String(ready.healthUrl)}/metrics`)).status,
        mtls: ready.mtls,
        logLevel: at(parse(readFileSync(path, 'utf8')), 'logLevel'),
      }).to.deep.equal({
        filter: 200,
        prioritize: 200,
        readiness: 200,
        liveness: 200,
        metrics: 200,
        mtls: true,
        logLevel: 'info',
      });
    } finally {
      child.proc.kill('SIGTERM');
      expect(await child.exited).to.equal(0);
    }
  });
});
