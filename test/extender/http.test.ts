import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { loadState, StaticStore } from '../../src/cluster/static.js';
import { type ObjectRef, type ReadThroughResult, refKey } from '../../src/cluster/store.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { makeClass, makeNode, makePod, makePV, makePVC } from '../support/builders.js';
import { post, type Running, serveApp } from '../support/http.js';

const WIRE = join(import.meta.dirname, '../../../../shared/fixtures/wire');
const fixture = (name: string) => readFileSync(join(WIRE, name), 'utf8');
const config = loadConfig();
const logger = createLogger('silent');

type Json = Record<string, unknown>;
const FILTER_KEYS = ['Nodes', 'NodeNames', 'FailedNodes', 'FailedAndUnresolvableNodes', 'Error'];

/** Renames ExtenderArgs' top-level keys to camelCase (Go decodes keys case-insensitively). */
function camel(body: string): string {
  const o = JSON.parse(body) as Json;
  return JSON.stringify({ pod: o.Pod, nodes: o.Nodes, nodeNames: o.NodeNames });
}

describe('HTTP extender on the captured kube-scheduler requests', () => {
  let server: Running;
  before(async () => {
    const { store } = loadState([join(WIRE, 'cluster')]);
    server = await serveApp(createApp({ store, config, logger }));
  });
  after(() => server.close());

  const zoneA =
    /^(clone|restore) pvc "default\/(clone|restore)-pvc" needs a node in the topology of .*pv "src-pv".*: topology\.kubernetes\.io\/zone in \[zone-a\]$/;
  const filterCases = [
    { name: 'NodeNames mode, clone', file: 'filter-cache-clone-1.json' },
    { name: 'NodeNames mode, restore', file: 'filter-cache-restore-1.json' },
    { name: 'Nodes mode, clone', file: 'filter-nocache-clone-1.json' },
    { name: 'Nodes mode, restore', file: 'filter-nocache-restore-1.json' },
  ];
  for (const tc of filterCases) {
    for (const casing of ['PascalCase', 'camelCase'] as const) {
      it(`filter keeps only zone-a nodes: ${tc.name}, ${casing} keys`, async () => {
        const raw = fixture(tc.file);
        const res = await post(`${server.url}/filter`, casing === 'camelCase' ? camel(raw) : raw);
        const reply = res.json as Json;
        const req = JSON.parse(raw) as { Nodes: { items: { metadata: { name: string } }[] } | null };
        const failed = reply.FailedAndUnresolvableNodes as Record<string, string>;
        expect({ status: res.status, type: res.contentType, keys: Object.keys(reply) }).to.deep.equal({
          status: 200,
          type: 'application/json; charset=utf-8',
          keys: FILTER_KEYS,
        });
        expect(Object.keys(failed)).to.deep.equal(['node-b1', 'node-b2']);
        for (const msg of Object.values(failed)) expect(msg).to.match(zoneA);
        if (req.Nodes) {
          const passing = req.Nodes.items.filter((n) => n.metadata.name.startsWith('node-a'));
          expect({ ...reply, FailedAndUnresolvableNodes: {} }).to.deep.equal({
            Nodes: { metadata: {}, items: passing },
            NodeNames: null,
            FailedNodes: {},
            FailedAndUnresolvableNodes: {},
            Error: '',
          });
        } else {
          expect({ ...reply, FailedAndUnresolvableNodes: {} }).to.deep.equal({
            Nodes: null,
            NodeNames: ['node-a1', 'node-a2'],
            FailedNodes: {},
            FailedAndUnresolvableNodes: {},
            Error: '',
          });
        }
      });
    }
  }

  const prioritizeCases = [
    'prioritize-cache-clone-1.json',
    'prioritize-cache-restore-1.json',
    'prioritize-nocache-clone-1.json',
    'prioritize-nocache-restore-1.json',
  ];
  for (const file of prioritizeCases) {
    it(`prioritize scores zone-a nodes higher with integer scores: ${file}`, async () => {
      const res = await post(`${server.url}/prioritize`, fixture(file));
      expect({ status: res.status, body: res.json }).to.deep.equal({
        status: 200,
        body: [
          { Host: 'node-a1', Score: 6 },
          { Host: 'node-b1', Score: 0 },
          { Host: 'node-a2', Score: 6 },
          { Host: 'node-b2', Score: 0 },
        ],
      });
    });
  }
});

describe('HTTP extender after kube-scheduler selected nodes (captured PVC state)', () => {
  let server: Running;
  before(async () => {
    const { store } = loadState([join(WIRE, 'cluster'), join(WIRE, 'pvcs-after-scheduling.json')]);
    server = await serveApp(createApp({ store, config, logger }));
  });
  after(() => server.close());

  it('clone claim already assigned to node-a2 (zone-a): only node-a2 passes', async () => {
    const reply = (await post(`${server.url}/filter`, fixture('filter-cache-clone-1.json'))).json as Json;
    expect({ names: reply.NodeNames, failed: Object.keys(reply.FailedAndUnresolvableNodes as Json) }).to.deep.equal({
      names: ['node-a2'],
      failed: ['node-a1', 'node-b1', 'node-b2'],
    });
  });

  it('restore claim assigned to node-b1 (zone-b) cannot be provisioned there: no node passes, and the reason says so', async () => {
    const reply = (await post(`${server.url}/filter`, fixture('filter-cache-restore-1.json'))).json as Json;
    const failed = reply.FailedAndUnresolvableNodes as Record<string, string>;
    expect({ names: reply.NodeNames, failed: Object.keys(failed) }).to.deep.equal({
      names: [],
      failed: ['node-a1', 'node-b1', 'node-a2', 'node-b2'],
    });
    expect(failed['node-a1']).to.match(
      /^pvc "default\/restore-pvc" was assigned node "node-b1" .*where it cannot be provisioned: /,
    );
  });
});

/** A static store that can also read through, answering from `behind` (or with an error). */
class ReadThroughStore extends StaticStore {
  readonly asked: string[] = [];
  constructor(
    private readonly behind: readonly KubeObject[],
    private readonly failWith?: string,
  ) {
    super();
  }
  async readThrough(refs: readonly ObjectRef[]): Promise<ReadThroughResult> {
    const out = new Map<string, { status: 'found' | 'absent' } | { status: 'error'; message: string }>();
    for (const ref of refs) {
      this.asked.push(refKey(ref));
      if (this.failWith) {
        out.set(refKey(ref), { status: 'error', message: this.failWith });
        continue;
      }
      const obj = this.behind.find(
        (o) => o.kind === ref.kind && o.metadata?.name === ref.name && (o.metadata?.namespace ?? '') === ref.namespace,
      );
      if (obj) this.add(obj);
      out.set(refKey(ref), { status: obj ? 'found' : 'absent' });
    }
    return out;
  }
}

describe('read-through and the cannot-decide policy', () => {
  const nodes = [makeNode('a1').zone('zone-a').obj(), makeNode('b1').zone('zone-b').obj()];
  const pod = makePod('db/p').claim('copy').obj();
  const source = [makePV('src-pv').zone('zone-a').obj(), makePVC('db/src').boundTo('src-pv').obj()];
  const body = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: ['a1', 'b1'] });
  const cases: {
    name: string;
    cannotDecide: 'fail' | 'allow';
    behind: KubeObject[];
    failWith?: string;
    want: { NodeNames: string[] | null; failed: string[]; error: boolean; asked: string[] };
  }[] = [
    {
      name: 'a claim created a moment before its pod is read through and decided',
      cannotDecide: 'fail',
      behind: [makePVC('db/copy').class('wffc').cloneOf('src').obj()],
      want: { NodeNames: ['a1'], failed: ['b1'], error: false, asked: ['PersistentVolumeClaim/db/copy'] },
    },
    {
      name: 'a claim the API server says does not exist: no node fits',
      cannotDecide: 'fail',
      behind: [],
      want: { NodeNames: [], failed: ['a1', 'b1'], error: false, asked: ['PersistentVolumeClaim/db/copy'] },
    },
    {
      name: 'unreadable claim under cannotDecide fail: Error, nothing placed',
      cannotDecide: 'fail',
      behind: [],
      failWith: 'API server unreachable',
      want: { NodeNames: null, failed: [], error: true, asked: ['PersistentVolumeClaim/db/copy'] },
    },
    {
      name: 'unreadable claim under cannotDecide allow: passes unconstrained',
      cannotDecide: 'allow',
      behind: [],
      failWith: 'API server unreachable',
      want: { NodeNames: ['a1', 'b1'], failed: [], error: false, asked: ['PersistentVolumeClaim/db/copy'] },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const store = new ReadThroughStore(tc.behind, tc.failWith);
      for (const o of [...source, ...nodes, makeClass('wffc').obj()]) store.add(o);
      const server = await serveApp(createApp({ store, config: { ...config, cannotDecide: tc.cannotDecide }, logger }));
      try {
        const reply = (await post(`${server.url}/filter`, body)).json as Json;
        expect({
          NodeNames: reply.NodeNames,
          failed: Object.keys(reply.FailedAndUnresolvableNodes as Json),
          error: reply.Error !== '',
          asked: store.asked,
        }).to.deep.equal(tc.want);
      } finally {
        await server.close();
      }
    });
  }
});

describe('HTTP contract: malformed, oversize and misdirected requests', () => {
  let server: Running;
  let small: Running;
  before(async () => {
    const store = new StaticStore();
    store.add(makeNode('a1').obj());
    server = await serveApp(createApp({ store, config, logger }));
    small = await serveApp(createApp({ store, config: { ...config, bodyLimit: 1024 }, logger }));
  });
  after(async () => {
    await server.close();
    await small.close();
  });

  const pod = makePod('db/p').obj();
  const names = (body: unknown) => JSON.stringify(body);
  const cases: { name: string; path?: string; body: string; type?: string; want: { status: number; error: RegExp } }[] =
    [
      { name: 'empty body', body: '', want: { status: 400, error: /empty request body/ } },
      { name: 'invalid JSON', body: '{"Pod":', want: { status: 400, error: /not valid JSON/ } },
      {
        name: 'truncated captured body',
        body: fixture('filter-nocache-clone-1.json').slice(0, 3000),
        want: { status: 400, error: /not valid JSON/ },
      },
      { name: 'JSON array', body: '[]', want: { status: 400, error: /must be a JSON object/ } },
      {
        name: 'Pod missing',
        body: names({ Nodes: null, NodeNames: ['a1'] }),
        want: { status: 400, error: /Pod must be a Pod object/ },
      },
      {
        name: 'Pod null',
        body: names({ Pod: null, Nodes: null, NodeNames: ['a1'] }),
        want: { status: 400, error: /Pod must be a Pod object/ },
      },
      {
        name: 'neither Nodes nor NodeNames',
        body: names({ Pod: pod, Nodes: null, NodeNames: null }),
        want: { status: 400, error: /needs Nodes or NodeNames/ },
      },
      {
        name: 'both Nodes and NodeNames',
        body: names({ Pod: pod, Nodes: { items: [] }, NodeNames: [] }),
        want: { status: 400, error: /both Nodes and NodeNames/ },
      },
      {
        name: 'NodeNames not strings',
        body: names({ Pod: pod, Nodes: null, NodeNames: [1] }),
        want: { status: 400, error: /list of strings/ },
      },
      {
        name: 'Nodes without items list',
        body: names({ Pod: pod, Nodes: { items: 'x' }, NodeNames: null }),
        want: { status: 400, error: /NodeList/ },
      },
      {
        name: 'node without a name',
        body: names({ Pod: pod, Nodes: { items: [{ metadata: {} }] }, NodeNames: null }),
        want: { status: 400, error: /items\[0\]\.metadata\.name/ },
      },
      {
        name: 'wrong content type',
        body: names({ Pod: pod, Nodes: null, NodeNames: [] }),
        type: 'text/plain',
        want: { status: 415, error: /application\/json/ },
      },
      { name: 'unknown path', path: '/bind', body: '{}', want: { status: 404, error: /not found/ } },
    ];
  for (const tc of cases) {
    it(`${tc.name} → ${tc.want.status} with a JSON error`, async () => {
      const res = await post(`${server.url}${tc.path ?? '/filter'}`, tc.body, tc.type);
      expect(res.status).to.equal(tc.want.status);
      expect(res.contentType).to.match(/^application\/json/);
      expect((res.json as { error: string }).error).to.match(tc.want.error);
    });
  }

  it('a body over bodyLimit → 413 with a JSON error, and the server keeps answering', async () => {
    const big = names({ Pod: pod, Nodes: null, NodeNames: Array.from({ length: 200 }, (_, i) => `node-${i}`) });
    const res = await post(`${small.url}/filter`, big);
    const after = await post(`${small.url}/filter`, names({ Pod: pod, Nodes: null, NodeNames: ['a1'] }));
    expect({ status: res.status, error: (res.json as Json).error, after: after.status }).to.deep.equal({
      status: 413,
      error: 'request body larger than bodyLimit (1024 bytes)',
      after: 200,
    });
  });

  it('GET on a verb → 405 with Allow: POST', async () => {
    const res = await fetch(`${server.url}/filter`);
    expect({ status: res.status, allow: res.headers.get('allow') }).to.deep.equal({ status: 405, allow: 'POST' });
  });

  it('duplicate keys: the last one wins, as in Go', async () => {
    const body = `{"Pod":${names(pod)},"Nodes":null,"NodeNames":["x"],"NodeNames":["a1"]}`;
    const reply = (await post(`${server.url}/filter`, body)).json as Json;
    expect(reply.NodeNames).to.deep.equal(['a1']);
  });

  it('/healthz and /readyz answer 200', async () => {
    const [h, r] = await Promise.all([fetch(`${server.url}/healthz`), fetch(`${server.url}/readyz`)]);
    expect([h.status, r.status]).to.deep.equal([200, 200]);
  });
});

describe('NodeNames mode: nodes the store does not know', () => {
  const cases: { name: string; claims: boolean; want: Json }[] = [
    {
      name: 'a pod on the fast path passes an unknown node',
      claims: false,
      want: { NodeNames: ['a1', 'ghost'], failed: {} },
    },
    {
      name: 'a constrained pod rejects an unknown node with a reason',
      claims: true,
      want: { NodeNames: ['a1'], failed: { ghost: 'node "ghost" is not known to source-affinity yet' } },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const store = new StaticStore();
      for (const o of [makeNode('a1').obj(), makePV('pv').obj(), makePVC('db/data').boundTo('pv').obj()]) store.add(o);
      // A bound PV with a required affinity that every labelled node meets constrains the pod.
      store.add(makePV('pv').term({ key: 'kubernetes.io/hostname', operator: 'Exists' }).obj());
      const pod = tc.claims ? makePod('db/p').claim('data').obj() : makePod('db/p').obj();
      const server = await serveApp(createApp({ store, config, logger }));
      try {
        const reply = (
          await post(`${server.url}/filter`, JSON.stringify({ Pod: pod, Nodes: null, NodeNames: ['a1', 'ghost'] }))
        ).json as Json;
        expect({ NodeNames: reply.NodeNames, failed: reply.FailedAndUnresolvableNodes }).to.deep.equal(tc.want);
      } finally {
        await server.close();
      }
    });
  }
});

describe('NodeNames mode: the names decide, not how the request writes them', () => {
  const names = ['a1', 'b1', 'nöde', 'del\x7fete', 'ghost'];
  /** Every character of every name as a \uXXXX escape. */
  const escapedAll = `[${names.map((n) => `"${[...n].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`).join(',')}]`;
  const spaced = `[ ${names.map((n) => JSON.stringify(n)).join(' ,\n\t')} ]`;
  const mixed = `[${names.map((n, i) => (i % 2 === 0 ? JSON.stringify(n) : `"\\u${n.charCodeAt(0).toString(16).padStart(4, '0')}${n.slice(1)}"`)).join(',')}]`;
  const variants = [
    { name: 'every character escaped', list: escapedAll },
    { name: 'spaced over lines', list: spaced },
    { name: 'some names escaped, some not', list: mixed },
  ];
  const pods = [
    { name: 'a pod with a zone-a volume', pod: makePod('db/p').claim('data').obj() },
    { name: 'a pod without claims', pod: makePod('db/q').obj() },
  ];
  let server: Running;
  before(async () => {
    const store = new StaticStore();
    for (const name of ['a1', 'nöde', 'del\x7fete']) store.add(makeNode(name).zone('zone-a').obj());
    store.add(makeNode('b1').zone('zone-b').obj());
    store.add(makePV('pv').zone('zone-a').obj());
    store.add(makePVC('db/data').boundTo('pv').obj());
    server = await serveApp(createApp({ store, config, logger }));
  });
  after(() => server.close());

  for (const verb of ['filter', 'prioritize']) {
    for (const p of pods) {
      for (const v of variants) {
        it(`${verb}, ${p.name}: ${v.name} gets the reply of the plain list`, async () => {
          const pod = JSON.stringify(p.pod);
          const plain = await post(
            `${server.url}/${verb}`,
            `{"Pod":${pod},"Nodes":null,"NodeNames":${JSON.stringify(names)}}`,
          );
          const written = await post(`${server.url}/${verb}`, `{"Pod":${pod},"Nodes":null,"NodeNames":${v.list}}`);
          expect(JSON.parse(v.list)).to.deep.equal(names);
          expect({ status: written.status, json: written.json }).to.deep.equal({ status: 200, json: plain.json });
        });
      }
    }
  }

  it('filter, a pod with a zone-a volume: the zone-a names pass and the others carry reasons', async () => {
    const body = `{"Pod":${JSON.stringify(pods[0]?.pod)},"Nodes":null,"NodeNames":${escapedAll}}`;
    const reply = (await post(`${server.url}/filter`, body)).json as Json;
    expect({ passing: reply.NodeNames, failed: Object.keys(reply.FailedAndUnresolvableNodes as Json) }).to.deep.equal({
      passing: ['a1', 'nöde', 'del\x7fete'],
      failed: ['b1', 'ghost'],
    });
  });
});
