import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type KubeConfigSources, loadKubeConfig } from '../../src/cluster/live/index.js';

function kubeconfigText(server: string, context = 'ctx'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: `c-${context}`, cluster: { server } }],
    users: [{ name: `u-${context}`, user: { token: 't' } }],
    contexts: [{ name: context, context: { cluster: `c-${context}`, user: `u-${context}` } }],
    'current-context': context,
  });
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

interface Case {
  readonly name: string;
  /** Files to create under a scratch dir (paths relative to it). */
  readonly files: Record<string, string>;
  readonly path?: string;
  readonly env: Record<string, string>;
  /** Relative to the scratch dir; absent: no service-account token file. */
  readonly token?: string;
  /** The server the loaded config points at, or the error message (with the scratch dir as `$D`). */
  readonly want: { server: string } | { error: string };
}

const cases: Case[] = [
  {
    name: '--kubeconfig wins over everything',
    files: {
      flag: kubeconfigText('https://flag'),
      env: kubeconfigText('https://env'),
      'home/.kube/config': kubeconfigText('https://home'),
    },
    path: 'flag',
    env: { KUBECONFIG: 'env', KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
    token: 'token',
    want: { server: 'https://flag' },
  },
  {
    name: 'KUBECONFIG wins over in-cluster and home; the first file’s context is current',
    files: {
      a: kubeconfigText('https://a', 'a'),
      b: kubeconfigText('https://b', 'b'),
      'home/.kube/config': kubeconfigText('https://home'),
    },
    env: { KUBECONFIG: 'a:b', KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
    token: 'token',
    want: { server: 'https://a' },
  },
  {
    name: 'in-cluster service account wins over ~/.kube/config',
    files: { token: 'abc', 'home/.kube/config': kubeconfigText('https://home') },
    env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
    token: 'token',
    want: { server: 'https://10.0.0.1:443' },
  },
  {
    name: 'service variables without a token file are not in-cluster',
    files: { 'home/.kube/config': kubeconfigText('https://home') },
    env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
    want: { server: 'https://home' },
  },
  {
    name: 'nothing anywhere: says what to provide',
    files: {},
    env: {},
    want: {
      error:
        'no Kubernetes credentials: pass --kubeconfig FILE, set KUBECONFIG, run in a pod with a service account, or create $D/home/.kube/config',
    },
  },
  {
    name: 'a file without a current context is refused',
    files: { empty: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }) },
    path: 'empty',
    env: {},
    want: { error: 'kubeconfig from $D/empty has no current context with a cluster' },
  },
];

describe('live mode credentials (loadKubeConfig)', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
      try {
        for (const [rel, text] of Object.entries(tc.files)) {
          mkdirSync(join(dir, rel, '..'), { recursive: true });
          writeFileSync(join(dir, rel), text);
        }
        const env = Object.fromEntries(
          Object.entries(tc.env).map(([k, v]) => [
            k,
            k === 'KUBECONFIG'
              ? v
                  .split(':')
                  .map((f) => join(dir, f))
                  .join(':')
              : v,
          ]),
        );
        const sources: KubeConfigSources = {
          env,
          homeDir: join(dir, 'home'),
          serviceAccountTokenPath: join(dir, tc.token ?? 'no-token-file'),
        };
        // The client's in-cluster loader reads the service variables from process.env itself.
        const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
        setEnv('KUBERNETES_SERVICE_HOST', env.KUBERNETES_SERVICE_HOST);
        setEnv('KUBERNETES_SERVICE_PORT', env.KUBERNETES_SERVICE_PORT);
        let got: { server: string } | { error: string };
        try {
          const kc = loadKubeConfig(tc.path === undefined ? undefined : join(dir, tc.path), sources);
          got = { server: kc.getCurrentCluster()?.server ?? '' };
        } catch (err) {
          got = { error: (err instanceof Error ? err.message : String(err)).replaceAll(dir, '$D') };
        } finally {
          setEnv('KUBERNETES_SERVICE_HOST', saved.host);
          setEnv('KUBERNETES_SERVICE_PORT', saved.port);
        }
        expect(got).to.deep.equal(tc.want);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
