import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  benchObjects,
  benchPod,
  expectedToFit,
  generateNodes,
  generateStorage,
  POD_KINDS,
} from '../../bench/cluster.js';
import { nodeNamesModeBody, nodesModeBody } from '../../bench/requests.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../../shared/fixtures/wire/${name}`, import.meta.url), 'utf8'));

describe('bench cluster generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = JSON.stringify(generateNodes(7, 20).map((n) => n.object));
    expect(JSON.stringify(generateNodes(7, 20).map((n) => n.object))).to.equal(a);
    expect(JSON.stringify(generateNodes(8, 20).map((n) => n.object))).to.not.equal(a);
    const names = generateNodes(7, 20).map((n) => n.name);
    expect(JSON.stringify(generateStorage(7, 50, names))).to.equal(JSON.stringify(generateStorage(7, 50, names)));
  });

  it('makes realistic nodes of about 20 KB with unique names and the topology labels', () => {
    const nodes = generateNodes(5, 300);
    expect(new Set(nodes.map((n) => n.name)).size).to.equal(300);
    for (const n of nodes) {
      const bytes = JSON.stringify(n.object).length;
      expect(bytes, n.name).to.be.within(15_000, 25_000);
      const labels = (n.object.metadata as { labels: Record<string, string> }).labels;
      expect(labels['topology.kubernetes.io/zone']).to.equal(n.zone);
      expect(labels['topology.kubernetes.io/region']).to.equal(n.region);
      expect(labels['kubernetes.io/hostname']).to.equal(n.name);
    }
  });

  it('gives every PV a unique CSI volume handle and binds every bound claim to an existing PV', () => {
    const names = generateNodes(5, 30).map((n) => n.name);
    const objects = [...generateStorage(5, 200, names), ...benchObjects(5)];
    const handles = objects
      .filter((o) => o.kind === 'PersistentVolume')
      .map((o) => (o.spec as { csi: { volumeHandle: string } }).csi.volumeHandle);
    expect(new Set(handles).size).to.equal(handles.length);
    const pvNames = new Set(
      objects.filter((o) => o.kind === 'PersistentVolume').map((o) => (o.metadata as { name: string }).name),
    );
    const unbound = objects
      .filter((o) => o.kind === 'PersistentVolumeClaim')
      .map((o) => (o.spec as { volumeName?: string }).volumeName)
      .filter((v) => v !== undefined && !pvNames.has(v));
    expect(unbound).to.deep.equal([]);
  });

  it('expects pod (a) everywhere, (b) in the bound zone, (c) in the clone source zone', () => {
    const zones = ['us-east-1a', 'us-east-1b', 'us-west-2a'];
    const got = Object.fromEntries(POD_KINDS.map((k) => [k, zones.filter((z) => expectedToFit(k, z))]));
    expect(got).to.deep.equal({ a: zones, b: ['us-east-1b'], c: ['us-east-1a'] });
  });
});

describe('bench request bodies', () => {
  const nodes = generateNodes(5, 3);
  const pod = benchPod(5, 'c');
  const cases = [
    {
      name: 'Nodes mode has the shape of a captured nodeCacheCapable: false body',
      fixture: 'filter-nocache-clone-1.json',
      body: nodesModeBody(pod, nodes),
    },
    {
      name: 'NodeNames mode has the shape of a captured nodeCacheCapable: true body',
      fixture: 'filter-cache-clone-1.json',
      body: nodeNamesModeBody(
        pod,
        nodes.map((n) => n.name),
      ),
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const want = fixture(tc.fixture);
      const got = JSON.parse(tc.body.toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(got)).to.deep.equal(Object.keys(want));
      const shape = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
      expect(Object.values(got).map(shape)).to.deep.equal(Object.values(want).map(shape));
      if (got.Nodes !== null) expect(Object.keys(got.Nodes as object)).to.deep.equal(Object.keys(want.Nodes as object));
      // Pods and nodes arrive without TypeMeta, like the captured ones.
      expect(Object.keys(got.Pod as object)).to.deep.equal(Object.keys(want.Pod as object));
    });
  }

  it('carries each node as its compact JSON', () => {
    const body = nodesModeBody(pod, nodes).toString('utf8');
    for (const n of nodes) expect(body).to.include(JSON.stringify(n.object));
  });
});
