import { expect } from 'chai';
import { runBench } from '../../bench/harness.js';
import { renderMarkdown } from '../../bench/report.js';
import { PROFILES, workloads } from '../../bench/workloads.js';

// Runs the whole harness in its tiny configuration against the real `serve` (no timing assertions).
describe('bench harness (smoke profile)', function () {
  this.timeout(120_000);
  let report: Awaited<ReturnType<typeof runBench>>;
  before(async () => {
    report = await runBench({ profile: PROFILES.smoke });
  });

  it('gets valid, expected replies from every server for every workload', () => {
    expect(report.problems).to.deep.equal([]);
  });

  it('reports both verbs of every workload, with samples from both servers', () => {
    const want = workloads(PROFILES.smoke).flatMap((w) => [`${w.key} filter`, `${w.key} prioritize`]);
    expect(report.rows.map((r) => `${r.workload} ${r.verb}`)).to.deep.equal(want);
    for (const r of report.rows) {
      expect(r.baseline.latency.count, `${r.workload} ${r.verb}`).to.be.greaterThan(0);
      expect(r.subject.latency.count, `${r.workload} ${r.verb}`).to.equal(r.baseline.latency.count);
      expect(r.ratio, `${r.workload} ${r.verb}`).to.be.greaterThan(0);
    }
  });

  it("measures the transfer floor of every row against echo, at the row's concurrency", () => {
    const want = report.rows.filter((r) => r.baseline.server === 'echo');
    expect(report.floors.map((f) => `${f.workload} ${f.verb} ${f.concurrency}`)).to.deep.equal(
      want.map((r) => `${r.workload} ${r.verb} ${r.concurrency}`),
    );
    for (const f of report.floors) {
      const row = want.find((r) => r.workload === f.workload && r.verb === f.verb);
      expect(f.replyBytes, `${f.workload} ${f.verb}`).to.equal(row?.subject.replyBytes);
      expect(f.replyBytes, `${f.workload} ${f.verb}`).to.be.greaterThan(0);
      const ratio = f.concurrency > 1 ? f.throughput / f.echoThroughput : f.p50 / f.echoP50;
      expect(f.ratio, `${f.workload} ${f.verb}`).to.equal(ratio);
      expect(f.throughput, `${f.workload} ${f.verb}`).to.be.greaterThan(0);
    }
    expect(report.floors.some((f) => f.concurrency > 1)).to.equal(true);
  });

  it('measures the floor of the names-c filter request at every reply size of the profile', () => {
    expect(report.replySizes.map((x) => [x.serial.replyBytes, x.inFlight.replyBytes])).to.deep.equal(
      PROFILES.smoke.replySizes.map((b) => [b, b]),
    );
    for (const { serial, inFlight } of report.replySizes) {
      expect([serial.concurrency, inFlight.concurrency]).to.deep.equal([1, PROFILES.smoke.burst.concurrency]);
      expect(serial.ratio).to.equal(serial.p50 / serial.echoP50);
      expect(inFlight.ratio).to.equal(inFlight.throughput / inFlight.echoThroughput);
    }
    const md = renderMarkdown(report, undefined);
    expect(md).to.include('### Reply size');
    expect(md).to.include(`| 4.0 KB | ${report.replySizes[1]?.serial.p50.toFixed(2)} / `);
  });

  it('measures the memory of every server', () => {
    expect(report.servers.map((s) => s.key)).to.deep.equal(['echo', 'extender', 'extender-many']);
    for (const s of report.servers) expect(s.rssPeak, s.key).to.be.greaterThan(0);
  });

  it('syncs a live store from the test API server and measures it', () => {
    const { objects, rss } = report.liveMemory;
    expect({ nodes: objects.Node, pvs: objects.PersistentVolume, measured: rss > 0 }).to.deep.equal({
      nodes: PROFILES.smoke.live.nodes,
      // The filler pairs plus the two PVs of the benchmark pods' own objects.
      pvs: PROFILES.smoke.live.volumes + 2,
      measured: true,
    });
    expect(report.liveMemoryAtTargetSize).to.equal(false);
  });

  // The T7 row of the target table for the smoke report with the names-c-concurrency filter row's
  // ratio and its floor's ratio replaced.
  const t7Line = (ratio: number, floorRatio: number): string => {
    const same = (x: { workload: string; verb: string }) => x.workload === 'names-c-concurrency' && x.verb === 'filter';
    const limit = { target: 'T7', min: 0.7 };
    const md = renderMarkdown(
      {
        ...report,
        rows: report.rows.map((r) =>
          same(r) ? { ...r, ratio, checks: [{ target: 'T7', limit, bound: '≥ 0.7', pass: ratio >= 0.7 }] } : r,
        ),
        floors: report.floors.map((f) => (same(f) ? { ...f, ratio: floorRatio } : f)),
      },
      undefined,
    );
    return md.split('\n').find((l) => l.startsWith('| T7 |')) ?? '';
  };
  const reachCases: { name: string; ratio: number; floor: number; outOfReach: boolean }[] = [
    { name: 'a failing target whose floor fails too is out of reach', ratio: 0.33, floor: 0.49, outOfReach: true },
    { name: 'a failing target whose floor meets the bound is not', ratio: 0.33, floor: 0.9, outOfReach: false },
    { name: 'a target that holds is not, whatever its floor', ratio: 0.8, floor: 0.49, outOfReach: false },
  ];
  for (const tc of reachCases) {
    it(`target table: ${tc.name}`, () => {
      const line = t7Line(tc.ratio, tc.floor);
      expect(line).to.include(`names-c-concurrency filter: ${tc.ratio.toFixed(2)} (≥ 0.7)`);
      expect(line.includes(`out of reach: the transfer floor of this reply is ${tc.floor.toFixed(2)}`)).to.equal(
        tc.outOfReach,
      );
    });
  }

  it('renders every target and keeps hand-written notes', () => {
    const previous = 'x\n<!-- notes:start -->\nkept\n<!-- notes:end -->\n';
    const md = renderMarkdown(report, previous);
    for (const t of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7']) expect(md).to.include(`| ${t} |`);
    expect(md).to.include('<!-- notes:start -->\nkept\n<!-- notes:end -->');
  });
});
