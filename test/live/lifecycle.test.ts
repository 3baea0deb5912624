import { expect } from 'chai';
import { makeContent, makeGrant, makeNode, makeSnapshot } from '../support/builders.js';
import { eventually, type Harness, startHarness } from './harness.js';

const ALL_WATCHING = {
  nodes: 'watching',
  persistentvolumes: 'watching',
  persistentvolumeclaims: 'watching',
  storageclasses: 'watching',
  volumesnapshots: 'watching',
  volumesnapshotcontents: 'watching',
  referencegrants: 'watching',
};

interface ReadinessCase {
  readonly name: string;
  readonly installedApis?: readonly string[];
  /** Faults in place when the store starts. */
  readonly broken: (h: Harness) => void;
  readonly wantWhileBroken: { ready: boolean; detail: Record<string, unknown> };
  readonly heal: (h: Harness) => void;
  readonly wantAfter: { ready: boolean; detail: Record<string, unknown> };
}

const readinessCases: ReadinessCase[] = [
  {
    name: 'not ready until the claim list succeeds once; the detail says why it fails',
    broken: (h) => void h.api.inject({ resource: 'persistentvolumeclaims', verb: 'list', action: { status: 500 } }),
    wantWhileBroken: {
      ready: false,
      detail: {
        notSynced: ['persistentvolumeclaims'],
        discovery: 'done',
        resources: { ...ALL_WATCHING, persistentvolumeclaims: 'not synced: list: HTTP 500: injected fault: HTTP 500' },
      },
    },
    heal: (h) => h.api.clearFaults(),
    wantAfter: { ready: true, detail: { notSynced: [], discovery: 'done', resources: ALL_WATCHING } },
  },
  {
    name: 'missing RBAC: not ready, and the detail quotes the API server',
    broken: (h) =>
      void h.api.inject({
        resource: 'persistentvolumes',
        verb: 'list',
        action: {
          status: 403,
          message:
            'persistentvolumes is forbidden: User "system:serviceaccount:kube-system:source-affinity" cannot list resource "persistentvolumes" in API group "" at the cluster scope',
        },
      }),
    wantWhileBroken: {
      ready: false,
      detail: {
        notSynced: ['persistentvolumes'],
        discovery: 'done',
        resources: {
          ...ALL_WATCHING,
          persistentvolumes:
            'not synced: list: HTTP 403: persistentvolumes is forbidden: User "system:serviceaccount:kube-system:source-affinity" cannot list resource "persistentvolumes" in API group "" at the cluster scope',
        },
      },
    },
    heal: (h) => h.api.clearFaults(),
    wantAfter: { ready: true, detail: { notSynced: [], discovery: 'done', resources: ALL_WATCHING } },
  },
  {
    name: 'not ready while a list hangs',
    broken: (h) => void h.api.inject({ resource: 'nodes', verb: 'list', action: { hang: true } }),
    wantWhileBroken: {
      ready: false,
      detail: { notSynced: ['nodes'], discovery: 'done', resources: { ...ALL_WATCHING, nodes: 'not synced' } },
    },
    heal: (h) => h.api.clearFaults(),
    wantAfter: { ready: true, detail: { notSynced: [], discovery: 'done', resources: ALL_WATCHING } },
  },
  {
    name: 'not ready until discovery answers',
    broken: (h) => void h.api.inject({ verb: 'discovery', action: { status: 503, message: 'apiserver starting' } }),
    wantWhileBroken: {
      ready: false,
      detail: {
        notSynced: [],
        discovery: 'discovery of gateway.networking.k8s.io/v1beta1 failed: HTTP 503: apiserver starting',
        resources: {
          nodes: 'watching',
          persistentvolumes: 'watching',
          persistentvolumeclaims: 'watching',
          storageclasses: 'watching',
          volumesnapshots: 'unknown (discovery pending)',
          volumesnapshotcontents: 'unknown (discovery pending)',
          referencegrants: 'unknown (discovery pending)',
        },
      },
    },
    heal: (h) => h.api.clearFaults(),
    wantAfter: { ready: true, detail: { notSynced: [], discovery: 'done', resources: ALL_WATCHING } },
  },
  {
    name: 'ready without the CRD-backed caches when their APIs are not installed',
    installedApis: [],
    broken: (h) => void h.api.inject({ resource: 'storageclasses', verb: 'list', action: { status: 429 } }),
    wantWhileBroken: {
      ready: false,
      detail: {
        notSynced: ['storageclasses'],
        discovery: 'done',
        resources: {
          nodes: 'watching',
          persistentvolumes: 'watching',
          persistentvolumeclaims: 'watching',
          storageclasses: 'not synced: list: HTTP 429: injected fault: HTTP 429',
          volumesnapshots: 'not installed',
          volumesnapshotcontents: 'not installed',
          referencegrants: 'not installed',
        },
      },
    },
    heal: (h) => h.api.clearFaults(),
    wantAfter: {
      ready: true,
      detail: {
        notSynced: [],
        discovery: 'done',
        resources: {
          nodes: 'watching',
          persistentvolumes: 'watching',
          persistentvolumeclaims: 'watching',
          storageclasses: 'watching',
          volumesnapshots: 'not installed',
          volumesnapshotcontents: 'not installed',
          referencegrants: 'not installed',
        },
      },
    },
  },
];

describe('live store readiness', () => {
  for (const tc of readinessCases) {
    it(tc.name, async () => {
      const h = await startHarness({
        ready: false,
        ...(tc.installedApis === undefined ? {} : { installedApis: tc.installedApis }),
      });
      try {
        tc.broken(h);
        await h.store.start();
        await eventually(() => expect(h.store.readiness()).to.deep.equal(tc.wantWhileBroken));
        tc.heal(h);
        await eventually(() => expect(h.store.readiness()).to.deep.equal(tc.wantAfter));
      } finally {
        await h.close();
      }
    });
  }

  it('does not flap: a dropped watch or a whole outage leaves it ready; stop() ends it', async () => {
    const h = await startHarness({ objects: [makeNode('n1').obj()] });
    try {
      const seen = new Set<boolean>();
      const probe = setInterval(() => seen.add(h.store.readiness().ready), 1);
      h.api.dropWatches({ abrupt: true });
      h.api.setOffline(true);
      await eventually(() => h.store.syncState().every((s) => !s.watching));
      h.api.setOffline(false);
      await eventually(() => h.store.syncState().every((s) => s.watching));
      clearInterval(probe);
      seen.add(h.store.readiness().ready);
      await h.store.stop();
      expect({ seen: [...seen], afterStop: h.store.readiness().ready }).to.deep.equal({
        seen: [true],
        afterStop: false,
      });
    } finally {
      await h.close();
    }
  });
});

describe('live store stop', () => {
  const moments = [0, 1, 3, 10, 30];
  for (const ms of moments) {
    it(`stop() ${ms} ms after start() leaves no watch, list or connection open`, async () => {
      const h = await startHarness({ ready: false, objects: [makeNode('n1').obj()], keepAliveTimeoutMs: 50 });
      try {
        await h.store.start();
        await new Promise((resolve) => setTimeout(resolve, ms));
        await h.store.stop();
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect({
          watches: h.api.openWatches(),
          connections: h.api.connections,
          ready: h.store.readiness().ready,
        }).to.deep.equal({
          watches: 0,
          connections: 0,
          ready: false,
        });
      } finally {
        await h.close();
      }
    });
  }
});

describe('live store and CRD-backed APIs', () => {
  it('picks up the snapshot API installed after start, then forgets it when it is removed', async () => {
    const h = await startHarness({ installedApis: [] });
    try {
      const snapRef = { kind: 'VolumeSnapshot', namespace: 'db', name: 'snap' } as const;
      const before = Object.fromEntries(await h.store.readThrough([snapRef]));
      h.api.installApi('snapshot.storage.k8s.io/v1');
      h.api.create(makeSnapshot('db/snap').boundTo('content-1').obj());
      h.api.create(makeContent('content-1').managedBy('n1').obj());
      await eventually(() => h.store.getVolumeSnapshotContent('content-1') !== undefined);
      const installed = {
        snapshot: h.store.getVolumeSnapshot('db', 'snap')?.status?.boundVolumeSnapshotContentName,
        readThrough: Object.fromEntries(await h.store.readThrough([snapRef])),
        state: h.store
          .syncState()
          .filter((s) => s.kind.startsWith('VolumeSnapshot'))
          .map((s) => [s.resource, s.installed, s.synced, s.objects]),
      };
      h.api.uninstallApi('snapshot.storage.k8s.io/v1');
      await eventually(() => h.store.getVolumeSnapshot('db', 'snap') === undefined);
      const removed = Object.fromEntries(await h.store.readThrough([snapRef]));
      expect({ before, installed, removed }).to.deep.equal({
        before: {
          'VolumeSnapshot/db/snap': {
            status: 'error',
            message: 'VolumeSnapshot API (snapshot.storage.k8s.io/v1) is not installed in the cluster',
          },
        },
        installed: {
          snapshot: 'content-1',
          readThrough: { 'VolumeSnapshot/db/snap': { status: 'found' } },
          state: [
            ['volumesnapshots', true, true, 1],
            ['volumesnapshotcontents', true, true, 1],
          ],
        },
        removed: {
          'VolumeSnapshot/db/snap': {
            status: 'error',
            message: 'VolumeSnapshot API (snapshot.storage.k8s.io/v1) is not installed in the cluster',
          },
        },
      });
      expect(h.store.readiness().ready).to.equal(true);
    } finally {
      await h.close();
    }
  });

  it('picks up ReferenceGrants once the Gateway API appears, indexed by namespace', async () => {
    const h = await startHarness({ installedApis: ['snapshot.storage.k8s.io/v1'] });
    try {
      h.api.installApi('gateway.networking.k8s.io/v1beta1');
      h.api.create(makeGrant('src/b').fromClaimsIn('db').toClaims().obj());
      h.api.create(makeGrant('src/a').fromClaimsIn('web').toClaims('data').obj());
      h.api.create(makeGrant('other/c').fromClaimsIn('db').toSnapshots().obj());
      await eventually(() => h.store.listReferenceGrants('src').length === 2);
      expect({
        src: h.store.listReferenceGrants('src').map((g) => g.metadata?.name),
        other: h.store.listReferenceGrants('other').map((g) => g.metadata?.name),
        none: h.store.listReferenceGrants('db'),
      }).to.deep.equal({ src: ['a', 'b'], other: ['c'], none: [] });
    } finally {
      await h.close();
    }
  });
});
