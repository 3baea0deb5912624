import { expect } from 'chai';
import { Backoff, systemClock } from '../../src/cluster/live/timing.js';
import { eventually, startHarness } from './harness.js';

describe('live store restart backoff', () => {
  const cases = [
    {
      name: 'doubles from the initial delay up to the cap (no jitter drawn)',
      settings: { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 0.5 },
      random: 0,
      want: [800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000],
    },
    {
      name: 'jitter takes up to its fraction off each delay, the cap included',
      settings: { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 0.5 },
      random: 0.5,
      want: [600, 1_200, 2_400, 4_800, 9_600, 19_200, 22_500, 22_500],
    },
    {
      name: 'factor 3 with a low cap',
      settings: { initialMs: 10, maxMs: 100, factor: 3, jitter: 1 },
      random: 0.1,
      want: [9, 27, 81, 90, 90, 90, 90, 90],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const backoff = new Backoff(tc.settings, () => tc.random);
      expect(tc.want.map(() => backoff.next())).to.deep.equal(tc.want);
    });
  }

  it('starts over after reset()', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 }, () => 0);
    const before = [backoff.next(), backoff.next(), backoff.next()];
    backoff.reset();
    expect({ before, after: backoff.next() }).to.deep.equal({ before: [100, 200, 400], after: 100 });
  });

  it('an informer that keeps failing waits the backoff sequence between attempts, then recovers', async () => {
    const h = await startHarness({
      ready: false,
      store: {
        backoff: { initialMs: 5, maxMs: 40, factor: 2, jitter: 0.5 },
        clock: { ...systemClock, random: () => 0 },
      },
    });
    try {
      h.api.inject({ resource: 'nodes', verb: 'list', action: { status: 503 } });
      await h.store.start();
      await eventually(() => h.logs.filter((l) => l.msg === 'informer failed' && l.resource === 'nodes').length >= 6);
      h.api.clearFaults();
      await eventually(() => h.store.readiness().ready);
      const delays = h.logs
        .filter((l) => l.msg === 'informer failed' && l.resource === 'nodes')
        .slice(0, 6)
        .map((l) => l.restartInMs);
      expect(delays).to.deep.equal([5, 10, 20, 40, 40, 40]);
    } finally {
      await h.close();
    }
  });
});
