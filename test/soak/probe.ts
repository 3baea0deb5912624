/**
 * Preloaded into the soak's server process only (`node --import probe.js bin/source-affinity.js
 * serve …`, with an IPC channel): answers `"sample"` with the process's active resources by type
 * and its memory. Never part of the shipped server: nothing in `src/` exposes these.
 */
if (process.send !== undefined) {
  process.on('message', (message: unknown) => {
    if (message !== 'sample') return;
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
    const m = process.memoryUsage();
    process.send?.({ resources, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external });
  });
  // The channel must not keep the server alive after SIGTERM.
  process.channel?.unref();
}
