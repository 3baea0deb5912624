/**
 * Sizing for operators (`npm run bench -- --sizing`): the real `serve --kubeconfig`, started with
 * the image's Node.js flags and environment, against a test API server seeded with a generated
 * cluster; how long it takes to be ready, its RSS once ready, and its RSS after serving NodeNames
 * calls (500 names and all names, filter and prioritize, for the clone + restore pod). Does I/O.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from './client.js';
import { benchPod } from './cluster.js';
import { clusterApi, productImage, repoFile } from './live-memory.js';
import { Prng } from './prng.js';
import { nodeNamesModeBody } from './requests.js';
import { processMemory, startServer } from './servers.js';

export interface SizingResult {
  readonly nodes: number;
  readonly volumes: number;
  /** Objects the API server held. */
  readonly objects: number;
  /** From starting the process to `/readyz` answering 200 (caches synced). */
  readonly readyMs: number;
  /** RSS two seconds after ready, after the calls, and the peak (VmHWM), in bytes. */
  readonly rssReady: number;
  readonly rssServing: number;
  readonly rssPeak: number;
  readonly calls: number;
}

/**
 * Measures `serve` on a cluster of `nodes` nodes and `volumes` PV/PVC pairs, making `rounds`
 * filter and prioritize calls for each of two candidate lists; `dir` holds its kubeconfig and
 * config. Rejects when the server does not get ready or a call does not answer 200.
 */
export async function measureServe(
  seed: number,
  nodes: number,
  volumes: number,
  rounds: number,
  dir: string,
  timeoutMs = 600_000,
): Promise<SizingResult> {
  const { objects, names, server: api, kubeconfig } = await clusterApi(seed, nodes, volumes, dir);
  const image = productImage();
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'healthListen: ""\n'); // the probes on the listen port
  const started = performance.now();
  const args = ['serve', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--config', config];
  const server = await startServer(
    'serve',
    [...image.flags, repoFile('bin/source-affinity.js'), ...args],
    timeoutMs,
    image.env,
  ).catch(async (err: unknown) => {
    await api.close();
    throw err;
  });
  const client = new Client(server.url);
  try {
    while ((await fetch(`${server.url}/readyz`)).status !== 200) {
      if (performance.now() - started > timeoutMs) throw new Error(`serve: not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const readyMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 2000));
    const ready = processMemory(server.pid);
    const pod = benchPod(seed, 'c');
    const lists = [new Prng(seed + 1).sample(names, Math.min(500, names.length)), names];
    let calls = 0;
    for (const list of lists) {
      const body = nodeNamesModeBody(pod, list);
      for (let i = 0; i < rounds; i++) {
        for (const verb of ['filter', 'prioritize']) {
          const { status } = await client.post(`/${verb}`, body, false);
          if (status !== 200) throw new Error(`serve: ${verb} answered HTTP ${status}`);
          calls++;
        }
      }
    }
    const serving = processMemory(server.pid);
    return {
      nodes,
      volumes,
      objects: objects.length,
      readyMs,
      rssReady: ready.rss,
      rssServing: serving.rss,
      rssPeak: serving.peak,
      calls,
    };
  } finally {
    client.close();
    await server.stop();
    await api.close();
  }
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;

/** The Markdown table of `results` (as in docs/OPERATIONS.md, "Sizing"). */
export function renderSizing(results: readonly SizingResult[]): string {
  const lines = [
    '| nodes | PV/PVC pairs | objects | ready after | RSS ready | RSS serving | peak RSS |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.nodes.toLocaleString('en-US')} | ${r.volumes.toLocaleString('en-US')} | ${r.objects.toLocaleString('en-US')} | ${(r.readyMs / 1000).toFixed(1)} s | ${mib(r.rssReady)} | ${mib(r.rssServing)} | ${mib(r.rssPeak)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
