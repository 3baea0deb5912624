/**
 * Broken cluster objects — what the API server would refuse, or what a hand-written state file or
 * a misbehaving API server could still hold: invalid selectors, unknown operators, Gt/Lt on
 * non-integers, missing fields, wrong types, huge label sets. Each case is loaded both ways the
 * extender reads objects (a state file, and live caches fed by the test API server) and decided
 * both ways (explain, and a filter call over HTTP): every one becomes a verdict with reasons,
 * never an exception escaping a request, and both stores agree.
 */
import { expect } from 'chai';
import { stringify } from 'yaml';
import { createApp } from '../../src/app.js';
import { loadState } from '../../src/cluster/static.js';
import type { ClusterStore } from '../../src/cluster/store.js';
import type { Pod } from '../../src/cluster/types.js';
import { loadConfig } from '../../src/config/config.js';
import { explainPod } from '../../src/explain.js';
import { createLogger } from '../../src/observability/logger.js';
import { scratch } from '../cli/support/cli.js';
import { startHarness } from '../live/harness.js';
import type { ApiObject } from '../support/apiserver.js';
import { HOSTNAME, makeNode, makePod, ZONE } from '../support/builders.js';
import { serveApp } from '../support/http.js';
import { send } from './support/client.js';

const config = loadConfig();
type Want = Record<string, 'fits' | readonly string[]>;

interface Case {
  readonly name: string;
  /** Objects as a state file would hold them: plain data, any shape. */
  readonly objects: readonly Record<string, unknown>[];
  readonly pod: Pod;
  /** Replaces the two well-formed nodes (same names). */
  readonly nodes?: readonly Record<string, unknown>[];
  readonly want: Want;
}

const nodes = [
  makeNode('a1').zone('zone-a').label('rack', '12').obj(),
  makeNode('b1').zone('zone-b').label('rack', 'x').obj(),
];
const names = nodes.map((n) => n.metadata?.name as string);

const pv = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, ...metadata },
  spec,
});
const pvc = (name: string, spec: unknown, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'db', ...metadata },
  spec,
});
const affinity = (nodeSelectorTerms: unknown) => ({ nodeAffinity: { required: { nodeSelectorTerms } } });
const bound = (claim: string, volume: unknown, extra: Record<string, unknown> = {}) =>
  pvc(claim, { volumeName: volume, ...extra });
const wffc = (provisioner = 'csi.example.com', extra: Record<string, unknown> = {}) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'wffc' },
  provisioner,
  volumeBindingMode: 'WaitForFirstConsumer',
  ...extra,
});
const claimPod = makePod('db/p').claim('data').obj();
const expr = (key: string, operator: unknown, values: unknown) => ({ matchExpressions: [{ key, operator, values }] });
const sourceIn = (zone: string) => pv('pv-src', affinity([expr(ZONE, 'In', [zone])]));

const manyLabels = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`example.com/l${i}`, `v${i}`]));

const brokenNode = (name: string, labels: unknown) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });

const cases: Case[] = [
  {
    name: 'node labels as a list, or with a number for the zone: that node has no zone to match',
    objects: [sourceIn('zone-a'), bound('data', 'pv-src')],
    nodes: [brokenNode('a1', [ZONE, 'zone-a']), brokenNode('b1', { [ZONE]: 1 })],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'unknown operator: the term never matches',
    objects: [pv('pv', affinity([expr(ZONE, 'Near', ['zone-a'])])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'Gt with a non-integer bound: the term never matches',
    objects: [pv('pv', affinity([expr('rack', 'Gt', ['ten'])])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'Gt on a node label that is not an integer: that node does not match',
    objects: [pv('pv', affinity([expr('rack', 'Gt', ['10'])])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: 'fits', b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'Lt with two values: invalid, never matches',
    objects: [pv('pv', affinity([expr('rack', 'Lt', ['20', '30'])])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'values as a number: invalid, never matches',
    objects: [pv('pv', affinity([expr(ZONE, 'In', 5)])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'an invalid label key in a requirement: invalid, never matches',
    objects: [pv('pv', affinity([expr('-bad key-', 'Exists', [])])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'nodeSelectorTerms as a string: no node',
    objects: [pv('pv', affinity('zone-a')), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'matchExpressions as an object: that term never matches, a valid one still does',
    objects: [
      pv('pv', affinity([{ matchExpressions: { key: ZONE } }, expr(ZONE, 'In', ['zone-b'])])),
      bound('data', 'pv'),
    ],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: 'fits' },
  },
  {
    name: 'a term of the wrong type (a number) among valid ones',
    objects: [pv('pv', affinity([7, expr(ZONE, 'In', ['zone-a'])])), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: 'fits', b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'PV labels as a list: no zone labels to match',
    objects: [pv('pv', {}, { labels: [ZONE, 'zone-a'] }), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'PV zone label as a number: ignored like an unparsable one',
    objects: [pv('pv', {}, { labels: { [ZONE]: 7 } }), bound('data', 'pv')],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'PV spec missing: imposes nothing',
    objects: [{ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' } }, bound('data', 'pv')],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'claim spec as a string: no class, no volume, not constrained',
    objects: [pvc('data', 'bound please')],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'claim bound to a volume name that is a number: treated as unbound without a class',
    objects: [bound('data', 42)],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'storage class annotation as a number: the claim has no class name',
    objects: [pvc('data', {}, { annotations: { 'volume.beta.kubernetes.io/storage-class': 3 } }), wffc()],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'dataSource as a string: not a clone, only the class applies',
    objects: [pvc('data', { storageClassName: 'wffc', dataSource: 'src' }), wffc()],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'clone whose source is bound to a volume with an unknown operator: no node can reach it',
    objects: [
      pvc('data', { storageClassName: 'wffc', dataSource: { kind: 'PersistentVolumeClaim', name: 'src' } }),
      bound('src', 'pv-src'),
      pv('pv-src', affinity([expr(ZONE, 'Within', ['zone-a'])])),
      wffc(),
    ],
    pod: claimPod,
    want: { a1: ['CloneSourceTopology'], b1: ['CloneSourceTopology'] },
  },
  {
    name: 'cross-namespace clone with a ReferenceGrant whose from is a string: not granted',
    objects: [
      pvc('data', {
        storageClassName: 'wffc',
        dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'src', namespace: 'other' },
      }),
      { ...bound('src', 'pv-src'), metadata: { name: 'src', namespace: 'other' } },
      sourceIn('zone-a'),
      wffc(),
      {
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: { name: 'g', namespace: 'other' },
        spec: { from: 'db', to: [{ group: '', kind: 'PersistentVolumeClaim' }] },
      },
    ],
    pod: claimPod,
    want: { a1: ['SourceNotGranted'], b1: ['SourceNotGranted'] },
  },
  {
    name: 'allowedTopologies with a term of the wrong shape: that term never matches',
    objects: [
      pvc('data', { storageClassName: 'wffc' }),
      wffc('csi.example.com', { allowedTopologies: [{ matchLabelExpressions: 'zone-a' }] }),
    ],
    pod: claimPod,
    want: { a1: ['AllowedTopologies'], b1: ['AllowedTopologies'] },
  },
  {
    name: 'restore whose snapshot names its content with a number: not bound yet',
    objects: [
      pvc('data', {
        storageClassName: 'wffc',
        dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
      }),
      wffc(),
      {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: 'snap', namespace: 'db' },
        status: { boundVolumeSnapshotContentName: 9 },
      },
    ],
    pod: claimPod,
    want: { a1: ['SnapshotNotBound'], b1: ['SnapshotNotBound'] },
  },
  {
    name: 'restore whose content nodeAffinity is an object, not a list: falls through to the managed-by node',
    objects: [
      pvc('data', {
        storageClassName: 'wffc',
        dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
      }),
      wffc(),
      {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: 'snap', namespace: 'db' },
        status: { boundVolumeSnapshotContentName: 'content' },
      },
      {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshotContent',
        metadata: { name: 'content', labels: { 'snapshot.storage.kubernetes.io/managed-by': 'b1' } },
        spec: { nodeAffinity: { matchLabelExpressions: [] } },
      },
    ],
    pod: claimPod,
    want: { a1: ['RestoreSourceTopology'], b1: 'fits' },
  },
  {
    name: 'ephemeral claim whose ownerReferences is a string: not owned by the pod',
    objects: [pvc('p-scratch', { storageClassName: 'wffc' }, { ownerReferences: 'p' }), wffc()],
    pod: makePod('db/p').ephemeral('scratch').obj(),
    want: { a1: ['EphemeralClaimNotOwned'], b1: ['EphemeralClaimNotOwned'] },
  },
  {
    name: 'selected-node annotation as a number: ignored',
    objects: [
      pvc('data', { storageClassName: 'wffc' }, { annotations: { 'volume.kubernetes.io/selected-node': 1 } }),
      wffc(),
    ],
    pod: claimPod,
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'a volume of 5,000 labels and a selector of 1,000 terms: decided like a small one',
    objects: [
      pv(
        'pv',
        affinity([
          ...Array.from({ length: 999 }, (_, i) => expr(`example.com/l${i}`, 'In', ['nowhere'])),
          expr(HOSTNAME, 'In', ['b1']),
        ]),
        { labels: manyLabels },
      ),
      bound('data', 'pv'),
    ],
    pod: claimPod,
    want: { a1: ['VolumeNodeAffinity'], b1: 'fits' },
  },
];

/** The verdicts of explain, and of a filter call over HTTP on the same store, as `want`. */
async function decide(store: ClusterStore, pod: Pod): Promise<{ explained: Want; wire: Want; status: number }> {
  const e = await explainPod(pod, store, config, names);
  const explained: Want = Object.fromEntries(
    e.nodes.map((n) => [n.name, n.fits ? 'fits' : n.reasons.map((r) => r.code)]),
  );
  const server = await serveApp(createApp({ store, config, logger: createLogger('silent') }));
  try {
    const answer = await send(server.url, {
      path: '/filter',
      body: Buffer.from(JSON.stringify({ Pod: pod, Nodes: null, NodeNames: names })),
    });
    const reply = answer.status === 200 ? JSON.parse(answer.body) : {};
    // The wire carries messages, not codes: a rejected node is marked by the codes explain found for it.
    const wire: Want = Object.fromEntries(
      names.map((n) => [n, (reply.NodeNames ?? []).includes(n) ? 'fits' : (explained[n] ?? ['?'])]),
    );
    return { explained, wire, status: answer.status === 200 && reply.Error === '' ? 200 : answer.status };
  } finally {
    await server.close();
  }
}

const isApiObject = (o: unknown): o is ApiObject => typeof o === 'object' && o !== null;

describe('broken cluster objects become verdicts with reasons, never exceptions', function () {
  this.timeout(60_000);
  const files = scratch();
  after(() => files.cleanup());

  for (const tc of cases) {
    it(`${tc.name} (state file and live caches agree)`, async () => {
      const objects = [...(tc.nodes ?? nodes), ...tc.objects];
      const state = files.file(
        `state-${cases.indexOf(tc)}.yaml`,
        stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      );
      const fromFile = await decide(loadState([state]).store, tc.pod);
      const h = await startHarness({ objects: objects.filter(isApiObject) });
      let live: typeof fromFile;
      try {
        live = await decide(h.store, tc.pod);
      } finally {
        await h.close();
      }
      const want = { explained: tc.want, wire: tc.want, status: 200 };
      expect({ fromFile, live }).to.deep.equal({ fromFile: want, live: want });
    });
  }
});
