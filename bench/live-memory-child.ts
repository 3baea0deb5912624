/**
 * Child process of the live-cache memory measurement: `node FLAGS dist/bench/live-memory-child.js
 * KUBECONFIG` (run with the image's Node.js flags and environment, see `imageRuntime`) syncs the
 * live store's informer caches from that API server, collects garbage, and prints one JSON line
 * `{"msg":"synced","syncMs":…,"heapUsed":…}`; the parent reads its RSS from /proc and then ends it.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createLiveStore, waitForReady } from '../src/cluster/live/index.js';
import { createLogger } from '../src/observability/logger.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: live-memory-child.js KUBECONFIG');
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(file);
const started = performance.now();
const store = createLiveStore({ kubeConfig, logger: createLogger('warn') });
await store.start();
await waitForReady(store, 600_000);
const syncMs = performance.now() - started;
// Settle: what the caches keep, not the garbage of the lists that filled them.
const gc = (globalThis as { gc?: () => void }).gc;
for (let i = 0; i < 3; i++) {
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
}
process.stdout.write(`${JSON.stringify({ msg: 'synced', syncMs, heapUsed: process.memoryUsage().heapUsed })}\n`);
// Stay alive until the parent has read /proc and ends this process.
setInterval(() => {}, 60_000);
