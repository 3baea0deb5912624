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

/** How the product's image starts Node.js: the flags and the environment the measured processes get. */
export interface ImageRuntime {
  /** The Dockerfile's ENTRYPOINT between the node binary and the script. */
  readonly flags: readonly string[];
  /** The runtime stage's `ENV KEY=VALUE` settings. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The Node.js flags and environment of the product's image (the last stage of `dockerfile`), so
 * that a measured process is configured exactly as in production. Throws when the ENTRYPOINT does
 * not run bin/source-affinity.js, or an ENV line is not of the `KEY=VALUE …` form.
 */
export function imageRuntime(dockerfile: string): ImageRuntime {
  const runtime = dockerfile.slice([...dockerfile.matchAll(/^FROM\s/gm)].at(-1)?.index ?? 0);
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime)?.[1];
  const entrypoint: unknown = line === undefined ? undefined : JSON.parse(line);
  if (!Array.isArray(entrypoint) || !entrypoint.every((arg) => typeof arg === 'string')) {
    throw new Error('Dockerfile: no ENTRYPOINT ["node", …flags, "bin/source-affinity.js"]');
  }
  const script = entrypoint.indexOf('bin/source-affinity.js');
  if (script < 1) throw new Error('Dockerfile: ENTRYPOINT does not run bin/source-affinity.js');
  const env: Record<string, string> = {};
  for (const [, settings] of runtime.matchAll(/^ENV\s+(.*)$/gm)) {
    for (const setting of (settings as string).trim().split(/\s+/)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\\$]*)$/.exec(setting);
      if (m === null) throw new Error(`Dockerfile: ENV ${settings}: only unquoted KEY=VALUE settings are read`);
      env[m[1] as string] = m[2] as string;
    }
  }
  return { flags: entrypoint.slice(1, script), env };
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
  /** The Node.js flags and environment the child ran with (the image's, see `imageRuntime`). */
  readonly image: ImageRuntime;
}

/** The path of `path` in the repository (from `dist/bench/`). */
export const repoFile = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The flags and environment of the product's image, read from the repository's Dockerfile. */
export function productImage(): ImageRuntime {
  return imageRuntime(readFileSync(repoFile('Dockerfile'), 'utf8'));
}

/**
 * What a test API server holds for a generated cluster of `nodes` nodes and `volumes` PV/PVC pairs
 * (see `generateStorage`), and how many of each kind.
 */
export function liveObjects(
  seed: number,
  nodes: number,
  volumes: number,
): { objects: ApiObject[]; counts: Record<string, number>; names: string[] } {
  const generated = generateNodes(seed, nodes);
  const names = generated.map((n) => n.name);
  const objects: ApiObject[] = [
    ...generated.map(nodeWithTypeMeta),
    // The API server serves only the kinds the live store watches (no VolumeSnapshotClass).
    ...storageClasses().filter((o) => o.kind === 'StorageClass'),
    ...benchObjects(seed),
    ...generateStorage(seed, volumes, names),
  ];
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind ?? '?'] = (counts[o.kind ?? '?'] ?? 0) + 1;
  return { objects, counts, names };
}

/**
 * A test API server seeded with `liveObjects(seed, nodes, volumes)`, and a kubeconfig for it
 * written into `dir`. Does I/O.
 */
export async function clusterApi(
  seed: number,
  nodes: number,
  volumes: number,
  dir: string,
): Promise<ReturnType<typeof liveObjects> & { server: TestApiServer; kubeconfig: string }> {
  const cluster = liveObjects(seed, nodes, volumes);
  const server = await TestApiServer.start({ objects: cluster.objects, historyLimit: 100 });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfigText());
  return { ...cluster, server, kubeconfig };
}

/** Syncs a live store in a child process against `nodes` nodes and `volumes` PV/PVC pairs (see `generateStorage`). */
export async function measureLiveMemory(
  seed: number,
  nodes: number,
  volumes: number,
  dir: string,
  timeoutMs = 600_000,
): Promise<LiveMemoryResult> {
  const { counts, server, kubeconfig } = await clusterApi(seed, nodes, volumes, dir);
  const image = productImage();
  const child = spawn(
    process.execPath,
    [...image.flags, '--expose-gc', fileURLToPath(new URL('./live-memory-child.js', import.meta.url)), kubeconfig],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...image.env } },
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
      image,
    };
  } finally {
    child.kill('SIGKILL');
    await server.close();
  }
}
