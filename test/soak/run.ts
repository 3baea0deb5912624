/**
 * `npm run soak`: 60 s at 200 calls/s against the live-mode server while the cluster changes.
 * Prints the report and exits 1 when a target is missed:
 *   zero failed calls; p99 ≤ 50 ms (see docs/SECURITY.md#load); RSS growth after warm-up < 10 %;
 *   no growth of descriptors, sockets or timers.
 * SOAK_SECONDS and SOAK_RATE override the duration and rate.
 */
import { grownResources, runSoak } from './soak.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const rate = Number(process.env.SOAK_RATE ?? 200);
const P99_TARGET_MS = 50;

const report = await runSoak({
  durationMs: seconds * 1000,
  warmupMs: Math.min(20_000, seconds * 333),
  rate,
  progress: (line) => console.log(line),
});
const grown = grownResources(report.warm, report.end, 4);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log(
  JSON.stringify(
    {
      calls: report.calls,
      rate: Number(report.rate.toFixed(1)),
      churnSteps: report.churn,
      errors: report.errors.length,
      firstErrors: report.errors.slice(0, 5),
      latencyMs: Object.fromEntries(Object.entries(report.latencyMs).map(([k, v]) => [k, Number(v.toFixed(2))])),
      rss: { warm: mib(report.warm.rss), end: mib(report.end.rss), growth: `${(report.rssGrowth * 100).toFixed(1)} %` },
      heapUsed: { warm: mib(report.warm.heapUsed), end: mib(report.end.heapUsed) },
      fds: { warm: report.warm.fds, end: report.end.fds },
      resources: { warm: report.warm.resources, end: report.end.resources },
      grown,
    },
    null,
    2,
  ),
);
const missed = [
  ...(report.errors.length > 0 ? [`${report.errors.length} failed calls`] : []),
  ...(report.latencyMs.p99 > P99_TARGET_MS ? [`p99 ${report.latencyMs.p99.toFixed(1)} ms > ${P99_TARGET_MS} ms`] : []),
  ...(report.rssGrowth >= 0.1 ? [`RSS grew ${(report.rssGrowth * 100).toFixed(1)} %`] : []),
  ...(Object.keys(grown).length > 0 ? [`resources grew: ${JSON.stringify(grown)}`] : []),
];
console.log(missed.length === 0 ? 'soak: all targets met' : `soak: MISSED ${missed.join('; ')}`);
process.exitCode = missed.length === 0 ? 0 : 1;
