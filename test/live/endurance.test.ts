import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { makeClass, makeNode, makePV, makePVC } from '../support/builders.js';
import { startHarness } from './harness.js';

setFlagsFromString('--expose-gc');
const gc: () => void = runInNewContext('gc');

/** Polls every millisecond (the reconnect loop below runs a thousand times). */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Live handles by type (timers, sockets, …), as Node reports them. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

describe('live store endurance', () => {
  it('1,000 watch reconnects (clean and abrupt) leave timers, sockets, watches and heap where they were', async function () {
    this.timeout(60_000);
    const h = await startHarness({
      objects: [
        makeNode('n1').zone('zone-a').obj(),
        makePV('pv-1').obj(),
        makePVC('db/data').class('wffc').obj(),
        makeClass('wffc').obj(),
      ],
      store: { backoff: { initialMs: 1, maxMs: 4, factor: 2, jitter: 0.5 } },
      // The client opens each watch through a fresh connection pool (client-node 2.0.1 builds a new
      // undici Agent per watch); idle keep-alive connections then live until the server closes them.
      keepAliveTimeoutMs: 100,
    });
    const nodesWatching = () => h.store.syncState().find((s) => s.resource === 'nodes')?.watching === true;
    const reconnect = async (i: number) => {
      h.api.dropWatches({ resource: 'nodes', abrupt: i % 2 === 0 });
      await until(() => h.api.openWatches('nodes') === 1 && nodesWatching());
      if (i % 10 === 0) h.api.update(makeNode('n1').zone(`zone-${i}`).obj());
    };
    try {
      // Warm-up: JIT, pools and lazily created client state reach their steady size first.
      for (let i = 0; i < 300; i++) await reconnect(i);
      h.logs.length = 0;
      h.api.clearRequests();
      await until(() => h.api.connections <= 7 + 1);
      const before = { handles: handles(), heap: await settledHeap() };
      const started = Date.now();
      for (let i = 0; i < 1_000; i++) await reconnect(i);
      const seconds = (Date.now() - started) / 1000;
      h.api.update(makeNode('n1').zone('zone-final').obj());
      await until(() => h.store.getNode('n1')?.metadata?.labels?.['topology.kubernetes.io/zone'] === 'zone-final');
      const restarts = h.store.syncState().find((s) => s.resource === 'nodes')?.restarts ?? 0;
      const lines = h.logs.length;
      h.logs.length = 0;
      h.api.clearRequests();
      const connectionsRightAfter = h.api.connections;
      await until(() => h.api.connections <= 7 + 1);
      // A connection may still be closing: give the handle table a moment to settle (a leak never does).
      await until(() => JSON.stringify(handles()) === JSON.stringify(before.handles), 2_000).catch(() => undefined);
      const after = { handles: handles(), heap: await settledHeap() };
      console.log(
        `      server connections right after: ${connectionsRightAfter}; after keep-alive expiry: ${h.api.connections}`,
      );
      const growthKiB = Math.round((after.heap - before.heap) / 1024);
      console.log(`      1,000 reconnects in ${seconds.toFixed(1)} s; heap growth ${growthKiB} KiB`);
      expect({
        handles: after.handles,
        openWatches: h.api.openWatches(),
        // A leaked socket, informer or listener per reconnect would be far more (a socket per reconnect
        // measured ~10 KiB each); what remains is the test server's own event history.
        heapGrowthUnder2MiB: growthKiB < 2048,
        // One restart per abrupt drop (clean ends are re-watched by the client itself)…
        restartsAtLeast500: restarts >= 500,
        // …and a failure line plus a restart line for each, nothing per event or per clean reconnect.
        logLinesPerRestart: lines / 500,
      }).to.deep.equal({
        handles: before.handles,
        openWatches: 7,
        heapGrowthUnder2MiB: true,
        restartsAtLeast500: true,
        logLinesPerRestart: 2,
      });
    } finally {
      await h.close();
    }
  });
});
