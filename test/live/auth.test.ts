import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { pino } from 'pino';
import { createLiveStore, type LiveStore } from '../../src/cluster/live/index.js';
import { createCA } from '../ops/support/pki.js';
import { TestApiServer, type TestApiServerOptions } from '../support/apiserver.js';
import { makeNode, makePVC } from '../support/builders.js';
import { eventually, FAST } from './harness.js';

const ca = createCA('apiserver-ca');
const otherCa = createCA('someone-else');
const serving = ca.server('apiserver', { ips: ['127.0.0.1'] });
const client = ca.client('system:serviceaccount:kube-system:source-affinity');

interface Case {
  readonly name: string;
  readonly server: TestApiServerOptions;
  /** Overrides in the store's kubeconfig (default: the server's own, which trusts it). */
  readonly client?: { readonly token?: string; readonly trust?: string };
  /** What the store reports once it has tried: ready, or the readiness detail of the node cache. */
  readonly want: { ready: true; nodes: number; readThrough: string } | { ready: false; nodes: RegExp };
}

/** A kubeconfig for `api` with the user's token and the trusted CA replaced. */
function kubeConfigFor(api: TestApiServer, client: Case['client']): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (client === undefined) return api.kubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'test',
        server: api.url,
        ...(client.trust === undefined ? {} : { caData: Buffer.from(client.trust).toString('base64') }),
      },
    ],
    users: [{ name: 'test', ...(client.token === undefined ? {} : { token: client.token }) }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kubeConfig;
}

/** The readiness detail of one resource, as text. */
function resourceDetail(store: LiveStore, resource: string): string {
  const resources = store.readiness().detail.resources;
  const value =
    typeof resources === 'object' && resources !== null
      ? Object.entries(resources).find(([k]) => k === resource)?.[1]
      : undefined;
  return typeof value === 'string' ? value : '';
}

const cases: Case[] = [
  {
    name: 'HTTPS verified against the cluster CA, bearer token',
    server: { tls: { ...serving, ca: ca.cert }, token: 'sa-token' },
    want: { ready: true, nodes: 1, readThrough: 'found' },
  },
  {
    name: 'mutual TLS with a client certificate',
    server: { tls: { ...serving, ca: ca.cert, client } },
    want: { ready: true, nodes: 1, readThrough: 'found' },
  },
  {
    name: 'wrong bearer token: not ready, the detail says Unauthorized',
    server: { token: 'sa-token', tls: { ...serving, ca: ca.cert } },
    client: { token: 'stale-token', trust: ca.cert },
    want: { ready: false, nodes: /^not synced: list: HTTP 401: Unauthorized$/ },
  },
  {
    name: 'server certificate from another CA: not ready, nothing read',
    server: { tls: { ...serving, ca: ca.cert } },
    client: { trust: otherCa.cert },
    want: { ready: false, nodes: /^not synced: .*(certificate|self.signed)/ },
  },
];

describe('live store credentials against the API server (TLS, mTLS, tokens)', () => {
  for (const tc of cases) {
    it(tc.name, async () => {
      const api = await TestApiServer.start({ ...tc.server, objects: [makeNode('n1').obj()] });
      let store: LiveStore | undefined;
      try {
        const kubeConfig = kubeConfigFor(api, tc.client);
        store = createLiveStore({ kubeConfig, logger: pino({ level: 'silent' }), ...FAST });
        const started = store;
        await started.start();
        if (tc.want.ready) {
          await eventually(() => started.readiness().ready);
          api.create(makePVC('db/new').obj());
          const got = await started.readThrough([{ kind: 'PersistentVolumeClaim', namespace: 'db', name: 'new' }]);
          expect({
            ready: true,
            nodes: started.listNodes().length,
            readThrough: got.get('PersistentVolumeClaim/db/new')?.status,
          }).to.deep.equal(tc.want);
        } else {
          const pattern = tc.want.nodes;
          const detail = await eventually(() => {
            const nodes = resourceDetail(started, 'nodes');
            expect(nodes).to.match(pattern);
            return nodes;
          });
          expect({ ready: started.readiness().ready, matches: pattern.test(detail) }).to.deep.equal({
            ready: false,
            matches: true,
          });
        }
      } finally {
        await store?.stop();
        await api.close();
      }
    });
  }
});
