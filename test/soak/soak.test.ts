/**
 * The soak in miniature (a few seconds, in `npm test`): the live-mode server under a steady mixed
 * load while the cluster changes answers every call correctly, stays fast, and holds no more
 * descriptors, sockets or timers at the end than after warm-up. `npm run soak` runs it for 60 s.
 */
import { expect } from 'chai';
import { grownResources, runSoak, type SoakReport } from './soak.js';

describe('soak, short (live mode, 200 calls/s while objects change)', function () {
  this.timeout(60_000);
  let report: SoakReport;

  before(async () => {
    report = await runSoak({ durationMs: 5_000, warmupMs: 2_000, rate: 200 });
  });

  it('answers every call of every workload correctly', () => {
    expect({ errors: report.errors.slice(0, 5), workloads: Object.keys(report.byWorkload).length }).to.deep.equal({
      errors: [],
      workloads: 9,
    });
  });

  it('keeps the rate and a p99 far below kube-scheduler’s 5 s timeout on a noisy machine', () => {
    // Loose on purpose (CI machines are shared); `npm run soak` holds the real targets.
    expect(
      { rate: report.rate > 180, p99: report.latencyMs.p99 < 250 },
      JSON.stringify(report.latencyMs),
    ).to.deep.equal({
      rate: true,
      p99: true,
    });
  });

  it('holds no more descriptors, sockets or timers than after warm-up', () => {
    expect(grownResources(report.warm, report.end, 4)).to.deep.equal({});
  });
});
