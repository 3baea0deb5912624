import { expect } from 'chai';
import type { ObjectRef } from '../../src/cluster/store.js';
import { makeClass, makeContent, makeGrant, makePV, makePVC, makeSnapshot } from '../support/builders.js';
import { eventually, type Harness, sleep, startHarness } from './harness.js';

type Want = Record<string, { status: 'found' | 'absent' } | { status: 'error'; message: string }>;

const pvc = (namespace: string, name: string): ObjectRef => ({ kind: 'PersistentVolumeClaim', namespace, name });

/** Stops the claim informer's watch from delivering anything, so only a read-through can see new claims. */
async function blindClaims(h: Harness): Promise<void> {
  h.api.inject({ resource: 'persistentvolumeclaims', verb: 'watch', action: { hang: true } });
  h.api.dropWatches({ resource: 'persistentvolumeclaims' });
  await eventually(() => h.store.syncState().find((s) => s.resource === 'persistentvolumeclaims')?.watching === false);
}

interface Case {
  readonly name: string;
  readonly installedApis?: readonly string[];
  /** Runs after the store is ready, before the read-through. */
  readonly setup?: (h: Harness) => Promise<void> | void;
  readonly refs: readonly ObjectRef[];
  readonly want: Want;
  /** Direct GET/LIST requests the read-through made. */
  readonly wantRequests: number;
  /** Checked after the read-through: what the store now answers. */
  readonly after?: (h: Harness) => void;
}

const cases: Case[] = [
  {
    name: 'a claim created just before its pod is fetched and cached',
    setup: async (h) => {
      await blindClaims(h);
      h.api.create(makePVC('db/copy').class('wffc').cloneOf('data').obj());
    },
    refs: [pvc('db', 'copy')],
    want: { 'PersistentVolumeClaim/db/copy': { status: 'found' } },
    wantRequests: 1,
    after: (h) => expect(h.store.getPersistentVolumeClaim('db', 'copy')?.spec?.dataSource?.name).to.equal('data'),
  },
  {
    name: 'a missing claim is absent, and each kind is fetched from its own path',
    refs: [
      pvc('db', 'nope'),
      { kind: 'PersistentVolume', namespace: '', name: 'pv-x' },
      { kind: 'StorageClass', namespace: '', name: 'gold' },
      { kind: 'VolumeSnapshot', namespace: 'db', name: 'snap' },
      { kind: 'VolumeSnapshotContent', namespace: '', name: 'content' },
    ],
    want: {
      'PersistentVolumeClaim/db/nope': { status: 'absent' },
      'PersistentVolume//pv-x': { status: 'absent' },
      'StorageClass//gold': { status: 'absent' },
      'VolumeSnapshot/db/snap': { status: 'absent' },
      'VolumeSnapshotContent//content': { status: 'absent' },
    },
    wantRequests: 5,
  },
  {
    name: 'objects already cached are found without a request',
    refs: [pvc('db', 'data'), { kind: 'PersistentVolume', namespace: '', name: 'pv-1' }],
    want: { 'PersistentVolumeClaim/db/data': { status: 'found' }, 'PersistentVolume//pv-1': { status: 'found' } },
    wantRequests: 0,
  },
  {
    name: 'duplicate references in one call make one request',
    refs: [pvc('db', 'nope'), pvc('db', 'nope'), pvc('db', 'nope')],
    want: { 'PersistentVolumeClaim/db/nope': { status: 'absent' } },
    wantRequests: 1,
  },
  {
    name: 'ReferenceGrants are listed per namespace and cached',
    setup: (h) => {
      h.api.inject({ resource: 'referencegrants', verb: 'watch', action: { hang: true } });
      h.api.dropWatches({ resource: 'referencegrants' });
      h.api.create(makeGrant('src/allow-db').fromClaimsIn('db').toClaims().obj());
    },
    refs: [
      { kind: 'ReferenceGrant', namespace: 'src', name: '' },
      { kind: 'ReferenceGrant', namespace: 'empty', name: '' },
    ],
    want: { 'ReferenceGrant/src/': { status: 'found' }, 'ReferenceGrant/empty/': { status: 'absent' } },
    wantRequests: 2,
    after: (h) => expect(h.store.listReferenceGrants('src').map((g) => g.metadata?.name)).to.deep.equal(['allow-db']),
  },
  {
    name: 'API server unreachable and the claim not cached: error, not absent',
    setup: (h) => h.api.setOffline(true),
    refs: [pvc('db', 'copy')],
    want: {
      'PersistentVolumeClaim/db/copy': {
        status: 'error',
        message: 'GET /api/v1/namespaces/db/persistentvolumeclaims/copy: connection reset (ECONNRESET)',
      },
    },
    wantRequests: 0,
  },
  {
    name: 'API server answers 500: error with its message',
    setup: (h) => void h.api.inject({ verb: 'get', action: { status: 500, message: 'etcdserver: request timed out' } }),
    refs: [pvc('db', 'copy')],
    want: {
      'PersistentVolumeClaim/db/copy': {
        status: 'error',
        message: 'GET /api/v1/namespaces/db/persistentvolumeclaims/copy: HTTP 500: etcdserver: request timed out',
      },
    },
    wantRequests: 1,
  },
  {
    name: 'API server hangs: error after the read-through timeout',
    setup: (h) => void h.api.inject({ verb: 'get', action: { hang: true } }),
    refs: [pvc('db', 'copy')],
    want: {
      'PersistentVolumeClaim/db/copy': {
        status: 'error',
        message: 'GET /api/v1/namespaces/db/persistentvolumeclaims/copy: timed out after 500 ms',
      },
    },
    wantRequests: 1,
  },
  {
    name: 'snapshot and grant APIs not installed: error naming the missing API, no request',
    installedApis: [],
    refs: [
      { kind: 'VolumeSnapshot', namespace: 'db', name: 'snap' },
      { kind: 'VolumeSnapshotContent', namespace: '', name: 'content' },
      { kind: 'ReferenceGrant', namespace: 'src', name: '' },
      pvc('db', 'data'),
    ],
    want: {
      'VolumeSnapshot/db/snap': {
        status: 'error',
        message: 'VolumeSnapshot API (snapshot.storage.k8s.io/v1) is not installed in the cluster',
      },
      'VolumeSnapshotContent//content': {
        status: 'error',
        message: 'VolumeSnapshot API (snapshot.storage.k8s.io/v1) is not installed in the cluster',
      },
      'ReferenceGrant/src/': {
        status: 'error',
        message: 'ReferenceGrant API (gateway.networking.k8s.io/v1beta1) is not installed in the cluster',
      },
      'PersistentVolumeClaim/db/data': { status: 'found' },
    },
    wantRequests: 0,
  },
];

const seed = [
  makePV('pv-1').boundTo('db/data').obj(),
  makePVC('db/data').class('wffc').boundTo('pv-1').obj(),
  makeClass('wffc').obj(),
];

describe('live store read-through', () => {
  for (const tc of cases) {
    it(tc.name, async () => {
      const h = await startHarness({
        objects: seed,
        ...(tc.installedApis === undefined ? {} : { installedApis: tc.installedApis }),
      });
      try {
        await tc.setup?.(h);
        h.api.clearRequests();
        const got = Object.fromEntries(await h.store.readThrough(tc.refs));
        const requests = h.api
          .requests()
          .filter((r) => r.verb === 'get' || (r.verb === 'list' && r.resource === 'referencegrants'));
        expect({ got, requests: requests.length }).to.deep.equal({ got: tc.want, requests: tc.wantRequests });
        tc.after?.(h);
      } finally {
        await h.close();
      }
    });
  }

  it('a storm of concurrent read-throughs for one claim makes one GET', async () => {
    const h = await startHarness({ objects: seed });
    try {
      await blindClaims(h);
      h.api.create(makePVC('db/copy').class('wffc').obj());
      h.api.inject({ verb: 'get', action: { delayMs: 50 } });
      h.api.clearRequests();
      const results = await Promise.all(Array.from({ length: 200 }, () => h.store.readThrough([pvc('db', 'copy')])));
      expect({
        statuses: [...new Set(results.map((r) => r.get('PersistentVolumeClaim/db/copy')?.status))],
        gets: h.api.requests({ verb: 'get' }).length,
      }).to.deep.equal({ statuses: ['found'], gets: 1 });
    } finally {
      await h.close();
    }
  });

  it('remembers "absent" for the negative-cache TTL, then asks again', async () => {
    const h = await startHarness({ objects: seed });
    try {
      await blindClaims(h);
      h.api.clearRequests();
      const first = (await h.store.readThrough([pvc('db', 'late')])).get('PersistentVolumeClaim/db/late');
      h.api.create(makePVC('db/late').class('wffc').obj());
      const cached = (await h.store.readThrough([pvc('db', 'late')])).get('PersistentVolumeClaim/db/late');
      const getsWithinTtl = h.api.requests({ verb: 'get' }).length;
      await sleep(200); // FAST.negativeCacheTtlMs is 150
      const later = (await h.store.readThrough([pvc('db', 'late')])).get('PersistentVolumeClaim/db/late');
      expect({ first, cached, getsWithinTtl, later, gets: h.api.requests({ verb: 'get' }).length }).to.deep.equal({
        first: { status: 'absent' },
        cached: { status: 'absent' },
        getsWithinTtl: 1,
        later: { status: 'found' },
        gets: 2,
      });
    } finally {
      await h.close();
    }
  });

  it('an aborted caller gets an error at once; the shared fetch still fills the cache', async () => {
    const h = await startHarness({ objects: seed });
    try {
      await blindClaims(h);
      h.api.create(makePVC('db/copy').class('wffc').obj());
      h.api.inject({ verb: 'get', action: { delayMs: 100 } });
      const controller = new AbortController();
      const pending = h.store.readThrough([pvc('db', 'copy')], controller.signal);
      controller.abort();
      expect(Object.fromEntries(await pending)).to.deep.equal({
        'PersistentVolumeClaim/db/copy': { status: 'error', message: 'read-through aborted' },
      });
      await eventually(() => h.store.getPersistentVolumeClaim('db', 'copy') !== undefined);
    } finally {
      await h.close();
    }
  });

  it('objects found by read-through are dropped at the next relist if the API server no longer has them', async () => {
    const h = await startHarness({ objects: seed });
    try {
      await blindClaims(h);
      h.api.create(makePVC('db/brief').class('wffc').obj());
      expect((await h.store.readThrough([pvc('db', 'brief')])).get('PersistentVolumeClaim/db/brief')).to.deep.equal({
        status: 'found',
      });
      h.api.delete('PersistentVolumeClaim', 'db', 'brief');
      h.api.compact();
      h.api.clearFaults();
      await eventually(() => h.store.getPersistentVolumeClaim('db', 'brief') === undefined);
      expect(h.store.getPersistentVolumeClaim('db', 'data')?.spec?.volumeName).to.equal('pv-1');
    } finally {
      await h.close();
    }
  });

  it('restore chain objects fetched by read-through are served by the store', async () => {
    const h = await startHarness({ objects: seed });
    try {
      for (const resource of ['volumesnapshots', 'volumesnapshotcontents']) {
        h.api.inject({ resource, verb: 'watch', action: { hang: true } });
        h.api.dropWatches({ resource });
      }
      h.api.create(makeSnapshot('db/snap').boundTo('content-1').ofClaim('data').obj());
      h.api.create(makeContent('content-1').fromVolume('ebs.csi.aws.com', 'vol-1').obj());
      const got = await h.store.readThrough([
        { kind: 'VolumeSnapshot', namespace: 'db', name: 'snap' },
        { kind: 'VolumeSnapshotContent', namespace: '', name: 'content-1' },
      ]);
      expect({
        got: Object.fromEntries(got),
        bound: h.store.getVolumeSnapshot('db', 'snap')?.status?.boundVolumeSnapshotContentName,
        handle: h.store.getVolumeSnapshotContent('content-1')?.spec?.source?.volumeHandle,
      }).to.deep.equal({
        got: {
          'VolumeSnapshot/db/snap': { status: 'found' },
          'VolumeSnapshotContent//content-1': { status: 'found' },
        },
        bound: 'content-1',
        handle: 'vol-1',
      });
    } finally {
      await h.close();
    }
  });
});
