/**
 * The soak driver: the real server in live mode (a child process, `serve --kubeconfig`) fed by the
 * test API server while PVCs, PVs and nodes are created, changed and deleted, driven open-loop at
 * a fixed rate over loopback keep-alive connections with a mix of kube-scheduler calls. It checks
 * every reply, measures latency, and samples the server's RSS, open file descriptors and active
 * resources (timers, sockets, …) from warm-up to the end. Bounded: it stops by itself after
 * `durationMs`. Used by `npm run soak` (60 s) and, shortened, by `npm test`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../../src/cluster/types.js';
import { send } from '../hardening/support/client.js';
import { TestApiServer } from '../support/apiserver.js';
import {
  makeClass,
  makeContent,
  makeNode,
  makePod,
  makePV,
  makePVC,
  makeSnapshot,
  REGION,
  ZONE,
} from '../support/builders.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));

export interface SoakOptions {
  readonly durationMs: number;
  readonly rate: number;
  /** Samples before this point are warm-up: growth is measured from the first sample after it. */
  readonly warmupMs: number;
  /** Nodes in the cluster (three zones). */
  readonly nodes?: number;
  /** Log progress lines here (the long run prints; the test does not). */
  readonly progress?: (line: string) => void;
}

export interface Sample {
  readonly atMs: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** Memory outside the V8 heap held by JS objects (Buffers). */
  readonly external: number;
  readonly fds: number;
  readonly resources: Readonly<Record<string, number>>;
}

export interface SoakReport {
  readonly calls: number;
  readonly byWorkload: Readonly<Record<string, number>>;
  /** Calls that failed: transport errors, non-200, `Error` in a reply, or a wrong verdict. */
  readonly errors: readonly string[];
  readonly churn: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Achieved rate (calls / s). */
  readonly rate: number;
  readonly warm: Sample;
  readonly end: Sample;
  readonly samples: readonly Sample[];
  /** (end RSS − warm RSS) / warm RSS, with each side the median of its last few samples. */
  readonly rssGrowth: number;
}

const zones = ['zone-a', 'zone-b', 'zone-c'];

/** A cluster with zonal and node-local sources, clones and restores, and room for churn. */
function cluster(nodeCount: number): { objects: KubeObject[]; nodes: KubeObject[]; byZone: Record<string, string[]> } {
  const nodes: KubeObject[] = [];
  const byZone: Record<string, string[]> = {};
  for (let i = 0; i < nodeCount; i++) {
    const zone = zones[i % zones.length] as string;
    const name = `node-${i}`;
    nodes.push(
      makeNode(name).zone(zone).region('region-1').label('node.kubernetes.io/instance-type', 'm5.large').obj(),
    );
    byZone[zone] = [...(byZone[zone] ?? []), name];
  }
  const objects: KubeObject[] = [
    ...nodes,
    makeClass('ebs').driver('ebs.csi.aws.com').obj(),
    makeClass('lvm').driver('topolvm.io').obj(),
    // A driver without a preset: restores stay within the snapshot's topology.
    makeClass('zonal').driver('csi.example.com').obj(),
    // A zonal clone source and its clone.
    makePV('pv-db').zone('zone-a').label(REGION, 'region-1').csi('ebs.csi.aws.com', 'vol-db').boundTo('db/data').obj(),
    makePVC('db/data').class('ebs').boundTo('pv-db').obj(),
    makePVC('db/copy').class('ebs').cloneOf('data').obj(),
    // A restore whose content carries a zone-b nodeAffinity (KEP-5943).
    makeSnapshot('db/snap').boundTo('content-1').obj(),
    makeContent('content-1').affinityTerm([ZONE, 'zone-b']).obj(),
    makePVC('db/restored').class('zonal').restoreOf('snap').obj(),
    // A node-local source and its clone.
    makePV('pv-local').onNode('node-2').csi('topolvm.io', 'lv-1').boundTo('db/local').obj(),
    makePVC('db/local').class('lvm').boundTo('pv-local').obj(),
    makePVC('db/local-copy').class('lvm').cloneOf('local').obj(),
  ];
  return { objects, nodes, byZone };
}

interface Workload {
  readonly name: string;
  readonly verb: 'filter' | 'prioritize';
  readonly body: Buffer;
  /** Why the reply is wrong, or undefined. */
  check(reply: unknown): string | undefined;
}

const sameSet = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function filterCheck(want: readonly string[], mode: 'names' | 'nodes') {
  return (reply: unknown): string | undefined => {
    const r = reply as {
      Nodes: { items: { metadata: { name: string } }[] } | null;
      NodeNames: string[] | null;
      Error: string;
    };
    if (r.Error !== '') return `Error: ${r.Error}`;
    const passed = mode === 'names' ? (r.NodeNames ?? []) : (r.Nodes?.items ?? []).map((n) => n.metadata.name);
    return sameSet(passed, want) ? undefined : `passed ${passed}, want ${want}`;
  };
}

function workloads(c: ReturnType<typeof cluster>): Workload[] {
  const names = c.nodes.map((n) => n.metadata?.name as string);
  const pods = {
    clone: makePod('db/clone').claim('copy').obj(),
    restore: makePod('db/restore').claim('restored').obj(),
    local: makePod('db/local').claim('local-copy').obj(),
    plain: makePod('db/plain').emptyDir().obj(),
    churn: makePod('churn/p').claim('churn-3').obj(),
  };
  const body = (pod: unknown, mode: 'names' | 'nodes') =>
    Buffer.from(
      JSON.stringify(
        mode === 'names'
          ? { Pod: pod, Nodes: null, NodeNames: names }
          : { Pod: pod, Nodes: { items: c.nodes }, NodeNames: null },
      ),
    );
  const scores = (reply: unknown) =>
    Array.isArray(reply) &&
    sameSet(
      reply.map((p: { Host: string }) => p.Host),
      names,
    ) &&
    reply.every((p: { Score: number }) => Number.isInteger(p.Score))
      ? undefined
      : `bad priorities ${JSON.stringify(reply).slice(0, 200)}`;
  return [
    {
      name: 'filter clone NodeNames',
      verb: 'filter',
      body: body(pods.clone, 'names'),
      check: filterCheck(c.byZone['zone-a'] ?? [], 'names'),
    },
    {
      name: 'filter clone Nodes',
      verb: 'filter',
      body: body(pods.clone, 'nodes'),
      check: filterCheck(c.byZone['zone-a'] ?? [], 'nodes'),
    },
    {
      name: 'filter restore NodeNames',
      verb: 'filter',
      body: body(pods.restore, 'names'),
      check: filterCheck(c.byZone['zone-b'] ?? [], 'names'),
    },
    {
      name: 'filter node-local clone NodeNames',
      verb: 'filter',
      body: body(pods.local, 'names'),
      check: filterCheck(['node-2'], 'names'),
    },
    {
      name: 'filter no claims Nodes',
      verb: 'filter',
      body: body(pods.plain, 'nodes'),
      check: filterCheck(names, 'nodes'),
    },
    {
      name: 'filter no claims NodeNames',
      verb: 'filter',
      body: body(pods.plain, 'names'),
      check: filterCheck(names, 'names'),
    },
    {
      name: 'filter churned claim NodeNames',
      verb: 'filter',
      body: body(pods.churn, 'names'),
      // The claim comes and goes: any verdict, but never Error (the API server is up).
      check: (reply) =>
        (reply as { Error: string }).Error === '' ? undefined : `Error: ${(reply as { Error: string }).Error}`,
    },
    { name: 'prioritize clone NodeNames', verb: 'prioritize', body: body(pods.clone, 'names'), check: scores },
    { name: 'prioritize restore Nodes', verb: 'prioritize', body: body(pods.restore, 'nodes'), check: scores },
  ];
}

/** Creates, changes and deletes churn objects: one step per call. */
function churner(api: TestApiServer): () => void {
  let step = 0;
  return () => {
    const i = step++;
    const slot = i % 8;
    switch (i % 4) {
      case 0: {
        // A bound claim and its volume appear (or are replaced) in namespace churn.
        api.apply(
          makePV(`churn-pv-${slot}`)
            .zone(zones[i % 3] as string)
            .boundTo(`churn/churn-${slot}`)
            .obj(),
        );
        api.apply(makePVC(`churn/churn-${slot}`).class('ebs').boundTo(`churn-pv-${slot}`).obj());
        break;
      }
      case 1:
        api.delete('PersistentVolumeClaim', 'churn', `churn-${(slot + 4) % 8}`);
        api.delete('PersistentVolume', '', `churn-pv-${(slot + 4) % 8}`);
        break;
      case 2:
        api.apply(
          makeNode(`churn-node-${slot}`)
            .zone(zones[i % 3] as string)
            .label('churn', String(i))
            .obj(),
        );
        break;
      default:
        api.delete('Node', '', `churn-node-${(slot + 4) % 8}`);
    }
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** Starts the server with the probe preloaded and an IPC channel; resolves with its URL once it listens. */
function startServer(kubeconfig: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', PROBE, 'bin/source-affinity.js', 'serve', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0'],
    {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`server did not listen: ${stderr}`)), 15_000);
    child.stdout?.on('data', (c: Buffer) => {
      pending += c.toString('utf8');
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const log = JSON.parse(line) as { msg?: string; url?: string };
        if (log.msg === 'listening' && typeof log.url === 'string') {
          clearTimeout(timer);
          resolve({ child, url: log.url });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
}

function sampleOf(child: ChildProcess, atMs: number): Promise<Sample> {
  const pid = child.pid as number;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no sample from the server')), 5_000);
    child.once('message', (m: Omit<Sample, 'atMs' | 'fds'>) => {
      clearTimeout(timer);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      resolve({ ...m, atMs, rss: rssKb * 1024 || m.rss, fds: readdirSync(`/proc/${pid}/fd`).length });
    });
    child.send('sample');
  });
}

/** Runs one soak and reports; never throws on a failed call (they are counted), only on set-up failure. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const c = cluster(options.nodes ?? 60);
  const api = await TestApiServer.start({ objects: c.objects });
  const kubeconfig = await api.writeKubeconfig();
  const { child, url } = await startServer(kubeconfig);
  // Like kube-scheduler's Go transport: keep-alive, idle connections dropped after 90 s.
  const agent = new Agent({ keepAlive: true, maxSockets: 8, timeout: 90_000 });
  const errors: string[] = [];
  const latencies: number[] = [];
  const byWorkload: Record<string, number> = {};
  const samples: Sample[] = [];
  const churn = churner(api);
  let churned = 0;
  try {
    // Ready means the caches have synced.
    for (let i = 0; ; i++) {
      const r = await send(url, { method: 'GET', path: '/readyz' }).catch(() => undefined);
      if (r?.status === 200) break;
      if (i > 300) throw new Error('server never became ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const mix = workloads(c);
    const started = performance.now();
    const interval = 1000 / options.rate;
    const inFlight = new Set<Promise<void>>();
    let n = 0;
    let nextSample = 0;
    for (;;) {
      const now = performance.now() - started;
      if (now >= options.durationMs) break;
      if (now >= nextSample) {
        samples.push(await sampleOf(child, now));
        const last = samples.at(-1);
        const mib = (b = 0) => `${(b / 2 ** 20).toFixed(1)} MiB`;
        options.progress?.(
          `${(now / 1000).toFixed(0)} s: ${n} calls, rss ${mib(last?.rss)}, heap ${mib(last?.heapUsed)} of ${mib(last?.heapTotal)}, external ${mib(last?.external)}`,
        );
        nextSample += 1_000;
      }
      // Open loop: calls leave on schedule whatever the replies do; a backlog shows up as latency.
      const due = Math.floor(now / interval);
      while (n <= due) {
        const w = mix[n % mix.length] as Workload;
        byWorkload[w.name] = (byWorkload[w.name] ?? 0) + 1;
        const t0 = performance.now();
        const p = send(url, { path: `/${w.verb}`, body: w.body }, agent, 10_000)
          .then((answer) => {
            latencies.push(performance.now() - t0);
            if (answer.status !== 200) errors.push(`${w.name}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
            else {
              const wrong = w.check(JSON.parse(answer.body));
              if (wrong !== undefined) errors.push(`${w.name}: ${wrong}`);
            }
          })
          .catch((err: Error) => {
            errors.push(`${w.name}: ${err.message}`);
          });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        n++;
        if (n % 4 === 0) {
          churn();
          churned++;
        }
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, (n * interval - (performance.now() - started)) | 0)),
      );
    }
    await Promise.all(inFlight);
    // The last sample without the load's keep-alive connections: what is left is the server's own.
    agent.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    samples.push(await sampleOf(child, performance.now() - started));
    const elapsed = performance.now() - started;
    const sorted = [...latencies].sort((a, b) => a - b);
    const after = samples.filter((s) => s.atMs >= options.warmupMs);
    const warmSamples = after.slice(0, 3);
    const endSamples = after.slice(-3);
    const warm = warmSamples[0] ?? (samples[0] as Sample);
    const end = samples.at(-1) as Sample;
    const warmRss = median(warmSamples.map((s) => s.rss));
    const endRss = median(endSamples.map((s) => s.rss));
    return {
      calls: n,
      byWorkload,
      errors,
      churn: churned,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? 0,
      },
      rate: (n / elapsed) * 1000,
      warm,
      end,
      samples,
      rssGrowth: (endRss - warmRss) / warmRss,
    };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    await api.close();
  }
}

/**
 * Resource types whose count grew from warm-up to the end by more than `slack` (in-flight calls
 * and reconnecting watches make a few come and go), e.g. `{Timeout: [3, 40]}`. Empty: no growth.
 */
export function grownResources(warm: Sample, end: Sample, slack: number): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const type of new Set([...Object.keys(warm.resources), ...Object.keys(end.resources)])) {
    const before = warm.resources[type] ?? 0;
    const after = end.resources[type] ?? 0;
    if (after > before + slack) out[type] = [before, after];
  }
  if (end.fds > warm.fds + slack) out.fds = [warm.fds, end.fds];
  return out;
}
