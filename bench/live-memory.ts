/**
 * Target 6: RSS of the live caches. A test API server (the one the live-cache tests use) is seeded
 * with generated objects in this process; a child process runs the real live store against it
 * until its caches are synced, and its RSS is read from /proc. Does I/O.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ApiObject, TestApiServer } from '../test/support/apiserver.js';
import { benchObjects, generateNodes, generateStorage, storageClasses } from './cluster.js';
import { nodeWithTypeMeta } from './requests.js';
import { processMemory } from './servers.js';

/**
 * The Node.js flags the product's image starts with (the Dockerfile's ENTRYPOINT, between the node
 * binary and the script), so the measured process is configured exactly as in production.
 */
export function imageNodeFlags(dockerfile: string): readonly string[] {
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const entrypoint: unknown = line === undefined ? undefined : JSON.parse(line);
  if (!Array.isArray(entrypoint) || !entrypoint.every((arg) => typeof arg === 'string')) {
    throw new Error('Dockerfile: no ENTRYPOINT ["node", …flags, "bin/source-affinity.js"]');
  }
  const script = entrypoint.indexOf('bin/source-affinity.js');
  if (script < 1) throw new Error('Dockerfile: ENTRYPOINT does not run bin/source-affinity.js');
  return entrypoint.slice(1, script);
}

export interface LiveMemoryResult {
  /** Objects the API server held, per kind. */
  readonly objects: Readonly<Record<string, number>>;
  readonly syncMs: number;
  /** RSS and V8 heap of the synced child after garbage collection, in bytes. */
  readonly rss: number;
  readonly heapUsed: number;
  /** The child's peak RSS (VmHWM) while syncing, in bytes: what a memory limit must allow. */
  readonly peakRss: number;
  /** The Node.js flags the child ran with (the image's, see `imageNodeFlags`). */
  readonly nodeFlags: readonly string[];
}

/** Syncs a live store in a child process against `nodes` nodes and `volumes` PV/PVC pairs (see `generateStorage`). */
export async function measureLiveMemory(
  seed: number,
  nodes: number,
  volumes: number,
  dir: string,
  timeoutMs = 600_000,
): Promise<LiveMemoryResult> {
  const generated = generateNodes(seed, nodes);
  const objects: ApiObject[] = [
    ...generated.map(nodeWithTypeMeta),
    // The API server serves only the kinds the live store watches (no VolumeSnapshotClass).
    ...storageClasses().filter((o) => o.kind === 'StorageClass'),
    ...benchObjects(seed),
    ...generateStorage(
      seed,
      volumes,
      generated.map((n) => n.name),
    ),
  ];
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind ?? '?'] = (counts[o.kind ?? '?'] ?? 0) + 1;
  const server = await TestApiServer.start({ objects, historyLimit: 100 });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfigText());
  const nodeFlags = imageNodeFlags(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--expose-gc', fileURLToPath(new URL('./live-memory-child.js', import.meta.url)), kubeconfig],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`live store not synced after ${timeoutMs} ms`)), timeoutMs);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`live store child exited with code ${code}`));
      });
    });
    const report = JSON.parse(line) as { syncMs: number; heapUsed: number };
    const memory = child.pid === undefined ? { rss: 0, peak: 0 } : processMemory(child.pid);
    return {
      objects: counts,
      syncMs: report.syncMs,
      rss: memory.rss,
      peakRss: memory.peak,
      heapUsed: report.heapUsed,
      nodeFlags,
    };
  } finally {
    child.kill('SIGKILL');
    await server.close();
  }
}
