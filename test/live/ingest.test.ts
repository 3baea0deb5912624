import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { IndexedCache } from '../../src/cluster/live/cache.js';
import {
  SharedValues,
  stripNode,
  stripPersistentVolume,
  stripPersistentVolumeClaim,
  stripReferenceGrant,
  stripStorageClass,
  stripVolumeSnapshot,
  stripVolumeSnapshotContent,
} from '../../src/cluster/live/strip.js';
import type { KubeObject, PersistentVolume } from '../../src/cluster/types.js';

const managedFields = [
  {
    manager: 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:phase': {} } },
  },
];

/** A node as the API server sends it, with the bulk a real one carries (images, conditions, addresses…). */
function apiNode(name: string, zone: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: {
        'kubernetes.io/hostname': name,
        'topology.kubernetes.io/zone': zone,
        'topology.kubernetes.io/region': 'region-1',
        'node.kubernetes.io/instance-type': 'm6i.large',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({ 'ebs.csi.aws.com': `i-${name}` }),
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      managedFields: [...managedFields, ...managedFields, ...managedFields],
    },
    spec: { podCIDR: '10.0.0.0/24', providerID: `aws:///${zone}/i-${name}`, taints: [] },
    status: {
      capacity: { cpu: '2', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '1930m', memory: '7Gi', pods: '110' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
        type,
        status: 'False',
        lastHeartbeatTime: '2026-01-01T00:00:00Z',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        reason: `Kubelet${type}`,
        message: `kubelet reports ${type}`,
      })),
      addresses: [
        { type: 'InternalIP', address: '10.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: { kubeletVersion: 'v1.34.0', osImage: 'Bottlerocket', containerRuntimeVersion: 'containerd://2.0' },
      images: Array.from({ length: 40 }, (_, i) => ({
        names: [
          `registry.example.com/team/app-${i}@sha256:${'0'.repeat(64)}`,
          `registry.example.com/team/app-${i}:v${i}`,
        ],
        sizeBytes: 123456789,
      })),
    },
  };
}

function apiPV(name: string, zone: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '7',
      labels: { 'topology.kubernetes.io/zone': zone },
      annotations: {
        'pv.kubernetes.io/provisioned-by': 'ebs.csi.aws.com',
        'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}',
      },
      finalizers: ['kubernetes.io/pv-protection', 'external-attacher/ebs-csi-aws-com'],
      managedFields,
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '10Gi' },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: 'db',
        name: `claim-${name}`,
        uid: 'u1',
        resourceVersion: '5',
      },
      csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${name}`, fsType: 'ext4', volumeAttributes: { a: 'b' } },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] },
          ],
        },
      },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'gp3',
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound', lastPhaseTransitionTime: '2026-01-01T00:00:00Z' },
  };
}

function apiPVC(namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: '9',
      annotations: {
        'volume.kubernetes.io/selected-node': 'n1',
        'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com',
        'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}',
      },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'pod-uid', controller: true, blockOwnerDeletion: true },
      ],
      finalizers: ['kubernetes.io/pvc-protection'],
      managedFields,
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '10Gi' } },
      storageClassName: 'gp3',
      volumeMode: 'Filesystem',
      dataSource: { kind: 'PersistentVolumeClaim', name: 'src' },
      dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'src' },
    },
    status: { phase: 'Pending', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
  };
}

const cases: { name: string; strip: (raw: unknown) => KubeObject | undefined; raw: unknown; want: unknown }[] = [
  {
    name: 'Node keeps name, uid, resourceVersion and labels only',
    strip: stripNode,
    raw: apiNode('n1', 'zone-a'),
    want: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'n1',
        uid: 'uid-n1',
        resourceVersion: '42',
        labels: {
          'kubernetes.io/hostname': 'n1',
          'topology.kubernetes.io/zone': 'zone-a',
          'topology.kubernetes.io/region': 'region-1',
          'node.kubernetes.io/instance-type': 'm6i.large',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
        },
      },
    },
  },
  {
    name: 'PersistentVolume keeps claimRef, class, CSI identity and nodeAffinity; drops the last-applied annotation',
    strip: stripPersistentVolume,
    raw: apiPV('pv-1', 'zone-a'),
    want: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: 'pv-1',
        uid: 'uid-pv-1',
        resourceVersion: '7',
        labels: { 'topology.kubernetes.io/zone': 'zone-a' },
        annotations: { 'pv.kubernetes.io/provisioned-by': 'ebs.csi.aws.com' },
      },
      spec: {
        claimRef: { namespace: 'db', name: 'claim-pv-1', uid: 'u1' },
        storageClassName: 'gp3',
        csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-pv-1' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] },
            ],
          },
        },
      },
    },
  },
  {
    name: 'PersistentVolumeClaim keeps annotations, owners, class, volume, data sources and phase',
    strip: stripPersistentVolumeClaim,
    raw: apiPVC('db', 'data'),
    want: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'data',
        namespace: 'db',
        uid: 'uid-data',
        resourceVersion: '9',
        annotations: {
          'volume.kubernetes.io/selected-node': 'n1',
          'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'pod-uid', controller: true }],
      },
      spec: {
        storageClassName: 'gp3',
        dataSource: { kind: 'PersistentVolumeClaim', name: 'src' },
        dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'src' },
      },
      status: { phase: 'Pending' },
    },
  },
  {
    name: 'StorageClass keeps provisioner, binding mode and allowed topologies',
    strip: stripStorageClass,
    raw: {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'gp3', resourceVersion: '1', managedFields },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3' },
      reclaimPolicy: 'Delete',
      allowVolumeExpansion: true,
      volumeBindingMode: 'WaitForFirstConsumer',
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['zone-a'] }] }],
    },
    want: {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'gp3', resourceVersion: '1' },
      provisioner: 'ebs.csi.aws.com',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['zone-a'] }] }],
    },
  },
  {
    name: 'VolumeSnapshot keeps its source and bound content',
    strip: stripVolumeSnapshot,
    raw: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'snap', namespace: 'db', resourceVersion: '3', finalizers: ['x'] },
      spec: { source: { persistentVolumeClaimName: 'data' }, volumeSnapshotClassName: 'csi' },
      status: { boundVolumeSnapshotContentName: 'content-1', readyToUse: true, restoreSize: '10Gi', creationTime: 'x' },
    },
    want: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'snap', namespace: 'db', resourceVersion: '3' },
      spec: { source: { persistentVolumeClaimName: 'data' } },
      status: { boundVolumeSnapshotContentName: 'content-1' },
    },
  },
  {
    name: 'VolumeSnapshotContent keeps driver, source, snapshot ref, nodeAffinity and labels',
    strip: stripVolumeSnapshotContent,
    raw: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: 'content-1', labels: { 'snapshot.storage.kubernetes.io/managed-by': 'n1' }, managedFields },
      spec: {
        driver: 'hostpath.csi.k8s.io',
        deletionPolicy: 'Delete',
        source: { volumeHandle: 'vol-1' },
        volumeSnapshotRef: {
          apiVersion: 'snapshot.storage.k8s.io/v1',
          kind: 'VolumeSnapshot',
          namespace: 'db',
          name: 'snap',
          uid: 'u',
        },
        nodeAffinity: [{ matchLabelExpressions: [{ key: 'kubernetes.io/hostname', values: ['n1'] }] }],
      },
      status: { snapshotHandle: 'h', readyToUse: true },
    },
    want: {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: 'content-1', labels: { 'snapshot.storage.kubernetes.io/managed-by': 'n1' } },
      spec: {
        driver: 'hostpath.csi.k8s.io',
        source: { volumeHandle: 'vol-1' },
        volumeSnapshotRef: { namespace: 'db', name: 'snap' },
        nodeAffinity: [{ matchLabelExpressions: [{ key: 'kubernetes.io/hostname', values: ['n1'] }] }],
      },
    },
  },
  {
    name: 'ReferenceGrant keeps from and to',
    strip: stripReferenceGrant,
    raw: {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'src', annotations: { a: 'b' }, managedFields },
      spec: {
        from: [{ group: '', kind: 'PersistentVolumeClaim', namespace: 'db' }],
        to: [{ group: '', kind: 'PersistentVolumeClaim' }],
      },
    },
    want: {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'src' },
      spec: {
        from: [{ group: '', kind: 'PersistentVolumeClaim', namespace: 'db' }],
        to: [{ group: '', kind: 'PersistentVolumeClaim' }],
      },
    },
  },
  {
    name: 'a value that is not an object is refused',
    strip: stripPersistentVolumeClaim,
    raw: 'not an object',
    want: undefined,
  },
];

describe('live store ingest pruning', () => {
  for (const tc of cases) it(tc.name, () => expect(tc.strip(tc.raw)).to.deep.equal(tc.want));
});

describe('live store shares values that repeat across objects', () => {
  const affinity = (obj: unknown) => (obj as PersistentVolume).spec?.nodeAffinity;
  const annotations = (obj: unknown) => (obj as KubeObject).metadata?.annotations;
  const labels = (obj: unknown) => (obj as KubeObject).metadata?.labels;
  const big = { blob: 'x'.repeat(600) };
  const cases: { name: string; got: () => unknown; want: unknown }[] = [
    {
      name: 'PVs in one zone share one frozen nodeAffinity; another zone has its own',
      got: () => {
        const [a, b, c] = [apiPV('a', 'zone-a'), apiPV('b', 'zone-a'), apiPV('c', 'zone-b')].map(stripPersistentVolume);
        return {
          sameZone: affinity(a) === affinity(b),
          otherZone: affinity(a) === affinity(c),
          frozen: Object.isFrozen(affinity(a)),
        };
      },
      want: { sameZone: true, otherZone: false, frozen: true },
    },
    {
      name: 'claims with the same annotations share them; phase objects are shared too',
      got: () => {
        const [a, b] = [apiPVC('db', 'a'), apiPVC('other', 'b')].map(stripPersistentVolumeClaim);
        return { annotations: annotations(a) === annotations(b), status: a?.status === b?.status };
      },
      want: { annotations: true, status: true },
    },
    {
      name: "nodes' labels are copied, never shared (each has its hostname)",
      got: () => {
        const a = stripNode(apiNode('n1', 'zone-a'));
        const raw = apiNode('n1', 'zone-a');
        return {
          sameObject: labels(a) === labels(stripNode(raw)),
          copied: labels(a) !== (raw.metadata as KubeObject['metadata'])?.labels,
        };
      },
      want: { sameObject: false, copied: true },
    },
    {
      name: 'a value whose JSON is longer than 512 characters is copied, not shared',
      got: () => {
        const table = new SharedValues();
        const first = table.tree(big);
        return { shared: first === table.tree({ ...big }), copied: first !== big, equal: first };
      },
      want: { shared: false, copied: true, equal: big },
    },
    {
      name: 'a full table starts over: memory stays bounded, the values stay equal',
      got: () => {
        const table = new SharedValues(2);
        const first = table.tree({ zone: 'a' });
        const again = table.tree({ zone: 'a' });
        table.tree({ zone: 'b' });
        table.tree({ zone: 'c' });
        const afterReset = table.tree({ zone: 'a' });
        return { sharedBefore: first === again, sharedAfter: first === afterReset, value: afterReset };
      },
      want: { sharedBefore: true, sharedAfter: false, value: { zone: 'a' } },
    },
  ];
  for (const tc of cases) it(tc.name, () => expect(tc.got()).to.deep.equal(tc.want));
});

describe('live store indexes', () => {
  const pv = (name: string, handle: string): PersistentVolume => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: { csi: { driver: 'd', volumeHandle: handle } },
  });
  const index = { handle: (obj: PersistentVolume) => (obj.spec?.csi?.volumeHandle ? [obj.spec.csi.volumeHandle] : []) };

  it('follows inserts, updates that move an object between values, deletes and relists', () => {
    const cache = new IndexedCache<PersistentVolume>(false, index);
    const names = (value: string) => cache.byIndex('handle', value).map((o) => o.metadata?.name);
    cache.upsert(pv('a', 'h1'));
    cache.upsert(pv('b', 'h1'));
    const afterInsert = { h1: names('h1'), h2: names('h2') };
    cache.upsert(pv('a', 'h2'));
    const afterMove = { h1: names('h1'), h2: names('h2') };
    cache.remove('b');
    const afterDelete = { h1: names('h1'), h2: names('h2') };
    cache.replaceAll([pv('c', 'h1')]);
    const afterRelist = { h1: names('h1'), h2: names('h2'), size: cache.size };
    expect({ afterInsert, afterMove, afterDelete, afterRelist }).to.deep.equal({
      afterInsert: { h1: ['a', 'b'], h2: [] },
      afterMove: { h1: ['b'], h2: ['a'] },
      afterDelete: { h1: [], h2: ['a'] },
      afterRelist: { h1: ['c'], h2: [], size: 1 },
    });
  });

  it('serves the same array for repeated lookups until that value changes (O(1) per lookup)', () => {
    const cache = new IndexedCache<PersistentVolume>(false, index);
    for (let i = 0; i < 1000; i++) cache.upsert(pv(`pv-${i}`, `h${i % 10}`));
    const first = cache.byIndex('handle', 'h3');
    const again = cache.byIndex('handle', 'h3');
    cache.upsert(pv('pv-x', 'h4'));
    const afterOtherChange = cache.byIndex('handle', 'h3');
    cache.upsert(pv('pv-y', 'h3'));
    const afterOwnChange = cache.byIndex('handle', 'h3');
    expect({
      same: first === again,
      untouched: first === afterOtherChange,
      rebuilt: first !== afterOwnChange,
      sizes: [first.length, afterOwnChange.length],
    }).to.deep.equal({ same: true, untouched: true, rebuilt: true, sizes: [100, 101] });
  });
});

setFlagsFromString('--expose-gc');
const gc: () => void = runInNewContext('gc');

/** Retained heap per object after pruning, in bytes (JSON parsed as from the wire, then stripped). */
function footprint(make: (i: number) => unknown, strip: (raw: unknown) => unknown, n = 5_000): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: unknown[] = [];
  for (let i = 0; i < n; i++) kept.push(strip(JSON.parse(JSON.stringify(make(i)))));
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(kept.length).to.equal(n);
  return Math.round((after - before) / n);
}

const asIs = (raw: unknown): unknown => raw;

describe('live store memory footprint (see docs/LIVE.md)', () => {
  it('a pruned object costs a fraction of the full one', function () {
    this.timeout(30_000);
    const measured = {
      node: {
        full: footprint((i) => apiNode(`node-${i}`, `zone-${i % 3}`), asIs),
        pruned: footprint((i) => apiNode(`node-${i}`, `zone-${i % 3}`), stripNode),
      },
      pv: {
        full: footprint((i) => apiPV(`pv-${i}`, `zone-${i % 3}`), asIs),
        pruned: footprint((i) => apiPV(`pv-${i}`, `zone-${i % 3}`), stripPersistentVolume),
      },
      pvc: {
        full: footprint((i) => apiPVC('db', `data-${i}`), asIs),
        pruned: footprint((i) => apiPVC('db', `data-${i}`), stripPersistentVolumeClaim),
      },
    };
    console.log(`      bytes per object (full → pruned): ${JSON.stringify(measured)}`);
    // Bounds well above the measured numbers (Node 24: node ~280 B, PV ~1.0 KiB, PVC ~0.8 KiB).
    expect({
      node: measured.node.pruned < measured.node.full / 10 && measured.node.pruned < 600,
      pv: measured.pv.pruned < measured.pv.full * 0.7 && measured.pv.pruned < 1_500,
      pvc: measured.pvc.pruned < measured.pvc.full * 0.7 && measured.pvc.pruned < 1_200,
    }).to.deep.equal({ node: true, pv: true, pvc: true });
  });
});
