import { expect } from 'chai';
import type { LiveStore } from '../../src/cluster/live/index.js';
import type { TestApiServer } from '../support/apiserver.js';
import { makeClass, makeNode, makePV, makePVC, ZONE } from '../support/builders.js';
import { eventually, type Harness, type StoreView, startHarness, view } from './harness.js';

const CORE = ['nodes', 'persistentvolumes', 'persistentvolumeclaims', 'storageclasses'];

const objects = [
  makeNode('n1').zone('zone-a').obj(),
  makeNode('n2').zone('zone-b').obj(),
  makePV('pv-1').label(ZONE, 'zone-a').boundTo('db/data').obj(),
  makePVC('db/data').class('wffc').boundTo('pv-1').obj(),
  makeClass('wffc').obj(),
];

const keys = { nodes: ['n1', 'n2', 'n3'], pvs: ['pv-1'], pvcs: ['db/data', 'db/new'], classes: ['wffc'] };

const before: StoreView = {
  nodes: { n1: 'zone-a', n2: 'zone-b', n3: 'missing' },
  pvs: { 'pv-1': 'zone-a' },
  pvcs: { 'db/data': 'pv-1', 'db/new': 'missing' },
  classes: { wffc: 'WaitForFirstConsumer' },
};

/** Changes made on the API server while the store cannot see it. */
function changeDuringFault(api: TestApiServer): void {
  api.update(makeNode('n1').zone('zone-x').obj());
  api.create(makeNode('n3').zone('zone-c').obj());
  api.delete('Node', '', 'n2');
  api.delete('PersistentVolumeClaim', 'db', 'data');
  api.create(makePVC('db/new').class('wffc').obj());
}

const after: StoreView = {
  nodes: { n1: 'zone-x', n2: 'missing', n3: 'zone-c' },
  pvs: { 'pv-1': 'zone-a' },
  pvcs: { 'db/data': 'missing', 'db/new': 'unbound' },
  classes: { wffc: 'WaitForFirstConsumer' },
};

/** Waits until no core informer has an open watch (the fault is in effect). */
async function cutOff(store: LiveStore): Promise<void> {
  await eventually(() =>
    expect(store.syncState().filter((s) => CORE.includes(s.resource) && s.watching)).to.deep.equal([]),
  );
}

interface Scenario {
  readonly name: string;
  readonly goneAs?: 'event' | 'status';
  /** Breaks the API server; resolves once the store has lost it. */
  readonly fault: (h: Harness) => Promise<void>;
  readonly heal: (h: Harness) => void;
}

const scenarios: Scenario[] = [
  {
    name: 'API server unreachable (every connection reset)',
    fault: async (h) => {
      h.api.setOffline(true);
      await cutOff(h.store);
    },
    heal: (h) => h.api.setOffline(false),
  },
  {
    name: 'watches dropped abruptly, re-watches answer 500',
    fault: async (h) => {
      h.api.inject({ verb: 'watch', action: { status: 500 } });
      h.api.dropWatches({ abrupt: true });
      await cutOff(h.store);
    },
    heal: (h) => h.api.clearFaults(),
  },
  {
    name: 'watches end cleanly (server timeout), re-watches throttled with 429',
    fault: async (h) => {
      h.api.inject({ verb: 'watch', action: { status: 429 } });
      h.api.dropWatches();
      await cutOff(h.store);
    },
    heal: (h) => h.api.clearFaults(),
  },
  {
    name: 'every list and watch answers 500',
    fault: async (h) => {
      h.api.inject({ action: { status: 500 } });
      h.api.dropWatches({ abrupt: true });
      await cutOff(h.store);
    },
    heal: (h) => h.api.clearFaults(),
  },
  {
    name: 'watch connections reset on accept',
    fault: async (h) => {
      h.api.inject({ verb: 'watch', action: { reset: true } });
      h.api.dropWatches({ abrupt: true });
      await cutOff(h.store);
    },
    heal: (h) => h.api.clearFaults(),
  },
  {
    name: 'watch requests hang, then fail when the server gives up on them',
    fault: async (h) => {
      h.api.inject({ verb: 'watch', action: { hang: true } });
      h.api.dropWatches();
      await cutOff(h.store);
    },
    heal: (h) => h.api.clearFaults(),
  },
  {
    name: 'history compacted during the outage: 410 Gone as an ERROR event, then relist',
    fault: async (h) => {
      h.api.inject({ verb: 'watch', action: { status: 503 } });
      h.api.dropWatches({ abrupt: true });
      await cutOff(h.store);
    },
    heal: (h) => {
      h.api.compact();
      h.api.clearFaults();
    },
  },
  {
    name: 'history compacted during the outage: 410 Gone as an HTTP status, then relist',
    goneAs: 'status',
    fault: async (h) => {
      h.api.inject({ verb: 'watch', action: { status: 503 } });
      h.api.dropWatches({ abrupt: true });
      await cutOff(h.store);
    },
    heal: (h) => {
      h.api.compact();
      h.api.clearFaults();
    },
  },
];

describe('live store under API-server faults', () => {
  for (const tc of scenarios) {
    it(`${tc.name}: answers from cache meanwhile, stays ready, catches up after`, async () => {
      const h = await startHarness({ objects, ...(tc.goneAs === undefined ? {} : { goneAs: tc.goneAs }) });
      try {
        expect(view(h.store, keys)).to.deep.equal(before);
        await tc.fault(h);
        changeDuringFault(h.api);
        // Give failing restarts a few backoff rounds to (wrongly) change something.
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect({ ready: h.store.readiness().ready, view: view(h.store, keys) }).to.deep.equal({
          ready: true,
          view: before,
        });
        tc.heal(h);
        await eventually(() => expect(view(h.store, keys)).to.deep.equal(after));
        await eventually(() => expect(h.store.syncState().filter((s) => !s.watching)).to.deep.equal([]));
        expect(h.store.readiness().ready).to.equal(true);
      } finally {
        await h.close();
      }
    });
  }

  it('410 Gone on an open watch (ERROR event) relists and drops what was deleted meanwhile', async () => {
    const h = await startHarness({ objects });
    try {
      h.api.inject({ verb: 'watch', action: { hang: true } });
      h.api.dropWatches();
      await cutOff(h.store);
      changeDuringFault(h.api);
      h.api.compact();
      h.api.clearFaults();
      await eventually(() => expect(view(h.store, keys)).to.deep.equal(after));
      await eventually(() =>
        expect(
          h.logs.filter((l) => l.msg === 'cache synced' && l.relist === true).map((l) => l.resource),
        ).to.include.members(CORE),
      );
    } finally {
      await h.close();
    }
  });

  it('a slow API server (every answer delayed) still converges', async () => {
    const h = await startHarness({ objects });
    try {
      h.api.inject({ action: { delayMs: 80 } });
      h.api.dropWatches();
      changeDuringFault(h.api);
      await eventually(() => expect(view(h.store, keys)).to.deep.equal(after));
    } finally {
      await h.close();
    }
  });

  it('counts restarts and reports the last failure per resource', async () => {
    const h = await startHarness({ objects });
    try {
      h.api.inject({ resource: 'nodes', verb: 'watch', action: { status: 500, message: 'etcd unhappy' } });
      h.api.dropWatches({ resource: 'nodes', abrupt: true });
      await eventually(() => (h.store.syncState().find((s) => s.resource === 'nodes')?.restarts ?? 0) >= 2);
      const nodes = h.store.syncState().find((s) => s.resource === 'nodes');
      expect({ watching: nodes?.watching, synced: nodes?.synced, lastError: nodes?.lastError }).to.deep.equal({
        watching: false,
        synced: true,
        lastError: 'Internal Server Error',
      });
      h.api.clearFaults();
      await eventually(() => h.store.syncState().find((s) => s.resource === 'nodes')?.watching === true);
      expect(h.store.syncState().find((s) => s.resource === 'nodes')?.lastError).to.equal(undefined);
    } finally {
      await h.close();
    }
  });

  for (const tc of [
    {
      name: 'with a bookmark before the compaction, a dropped watch resumes without a relist',
      bookmark: true,
      relists: [],
    },
    { name: 'without one, the same drop needs a relist', bookmark: false, relists: ['nodes'] },
  ]) {
    it(`bookmarks: ${tc.name}`, async () => {
      const h = await startHarness({ objects });
      try {
        // Advance the resourceVersion through other resources: the node watch sees no event.
        for (let i = 0; i < 5; i++) h.api.create(makePVC(`db/c-${i}`).class('wffc').obj());
        await eventually(() => h.store.getPersistentVolumeClaim('db', 'c-4') !== undefined);
        if (tc.bookmark) h.api.bookmark();
        await new Promise((resolve) => setTimeout(resolve, 20));
        h.api.compact();
        const from = h.logs.length;
        h.api.dropWatches({ resource: 'nodes' });
        await eventually(() => h.api.openWatches('nodes') === 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await eventually(() =>
          expect(
            h.logs
              .slice(from)
              .filter((l) => l.msg === 'cache synced')
              .map((l) => l.resource),
          ).to.deep.equal(tc.relists),
        );
      } finally {
        await h.close();
      }
    });
  }
});
