import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { liveObjects } from '../../bench/live-memory.js';
import { measureServe, renderSizing, type SizingResult } from '../../bench/sizing.js';

// The real `serve --kubeconfig` in a child process against the test API server (no size assertions).
describe('bench sizing (serve against a test API server)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sizing-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gets the server ready, makes every call and reads its memory', async () => {
    const r = await measureServe(5, 20, 50, 2, dir);
    expect({ objects: r.objects, calls: r.calls }).to.deep.equal({
      objects: liveObjects(5, 20, 50).objects.length,
      // two candidate lists (500 names at most, and all names) × 2 rounds × filter and prioritize
      calls: 8,
    });
    expect(r.readyMs).to.be.greaterThan(0);
    expect(r.rssReady).to.be.greaterThan(0);
    expect(r.rssPeak).to.be.at.least(Math.max(r.rssReady, r.rssServing));
  });

  it('renders one table row per cluster', () => {
    const row = (nodes: number, rss: number): SizingResult => ({
      nodes,
      volumes: nodes * 10,
      objects: nodes * 25,
      readyMs: 1500,
      rssReady: rss * 1048576,
      rssServing: (rss + 10) * 1048576,
      rssPeak: (rss + 20) * 1048576,
      calls: 8,
    });
    const lines = renderSizing([row(100, 140), row(5000, 280)])
      .trim()
      .split('\n');
    expect(lines.slice(2)).to.deep.equal([
      '| 100 | 1,000 | 2,500 | 1.5 s | 140 MiB | 150 MiB | 160 MiB |',
      '| 5,000 | 50,000 | 125,000 | 1.5 s | 280 MiB | 290 MiB | 300 MiB |',
    ]);
  });
});
