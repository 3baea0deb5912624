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

  it('measures the transfer floor of every one-at-a-time row against echo', () => {
    const want = report.rows.filter((r) => r.concurrency === 1 && r.baseline.server === 'echo');
    expect(report.floors.map((f) => `${f.workload} ${f.verb}`)).to.deep.equal(
      want.map((r) => `${r.workload} ${r.verb}`),
    );
    for (const f of report.floors) expect(f.replyBytes, `${f.workload} ${f.verb}`).to.be.greaterThan(0);
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

  it('renders every target and keeps hand-written notes', () => {
    const previous = 'x\n<!-- notes:start -->\nkept\n<!-- notes:end -->\n';
    const md = renderMarkdown(report, previous);
    for (const t of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7']) expect(md).to.include(`| ${t} |`);
    expect(md).to.include('<!-- notes:start -->\nkept\n<!-- notes:end -->');
  });
});
