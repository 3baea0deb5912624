/**
 * The benchmark: generates the states and request bodies for a profile, starts the echo baseline
 * and the extender as child processes, drives every workload with the servers interleaved round by
 * round, validates the first reply of every series, and returns the report. Does I/O.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from './client.js';
import {
  benchObjects,
  benchPod,
  expectedToFit,
  type GeneratedNode,
  generateNodes,
  generateStorage,
  type JsonObject,
  POD_KINDS,
  type PodKind,
  storageClasses,
} from './cluster.js';
import { FLOOR_HEADER } from './echo.js';
import { type ImageRuntime, type LiveMemoryResult, measureLiveMemory, productImage, repoFile } from './live-memory.js';
import { Prng } from './prng.js';
import { nodeNamesModeBody, nodesModeBody, nodeWithTypeMeta, writeListFile } from './requests.js';
import { processMemory, type RunningServer, startServer, waitQuiet } from './servers.js';
import { type LatencySummary, summarize } from './stats.js';
import { checkFilterReply, checkPrioritizeReply } from './validate.js';
import { type Limit, type Profile, type ServerKey, type Verb, type Workload, workloads } from './workloads.js';

const VERBS: readonly Verb[] = ['filter', 'prioritize'];

export interface SeriesResult {
  readonly server: ServerKey;
  readonly latency: LatencySummary;
  /** Requests per second: 1000 / mean latency for one-at-a-time series, requests / wall time for bursts. */
  readonly throughput: number;
  readonly replyBytes: number;
}

export interface Check {
  readonly target: string;
  readonly limit: Limit;
  /** `≤ 1.5` or `≥ 0.7`. */
  readonly bound: string;
  readonly pass: boolean;
}

export interface Row {
  readonly workload: string;
  readonly title: string;
  readonly verb: Verb;
  readonly concurrency: number;
  readonly requestBytes: number;
  readonly baseline: SeriesResult;
  readonly subject: SeriesResult;
  /** subject / baseline: of median latencies, or of throughputs when concurrency > 1. */
  readonly ratio: number;
  readonly checks: readonly Check[];
}

/** What `floorOf` measures for one reply size. */
export interface Floor {
  readonly concurrency: number;
  readonly replyBytes: number;
  readonly p50: number;
  readonly echoP50: number;
  /** Requests per second (see `SeriesResult.throughput`). */
  readonly throughput: number;
  readonly echoThroughput: number;
  /** Of medians, or of throughputs when concurrency > 1. */
  readonly ratio: number;
}

/**
 * What moving this request and a reply of the subject's size costs with no work at all: the echo
 * server answering with constant bytes of that size, interleaved with the echo itself, with the
 * row's concurrency. `ratio` is measured as the row's is: the best ratio any server that sends
 * this reply can reach.
 */
export interface TransferFloor extends Floor {
  readonly workload: string;
  readonly verb: Verb;
  readonly baselineReplyBytes: number;
}

export interface ServerReport {
  readonly key: ServerKey;
  readonly state: string;
  readonly startupMs: number;
  /** RSS right after startup (state loaded), at the end, and the peak, in bytes. */
  readonly rssReady: number;
  readonly rssEnd: number;
  readonly rssPeak: number;
}

export interface BenchReport {
  readonly profile: Profile['name'];
  readonly date: string;
  readonly machine: {
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    kernel: string;
    node: string;
    /** Node.js flags and environment the extender ran with (the image's). */
    extenderImage: ImageRuntime;
  };
  readonly nodeBytes: { readonly mean: number };
  readonly rows: readonly Row[];
  readonly floors: readonly TransferFloor[];
  /**
   * The floor of the names-c filter request at each of the profile's reply sizes, one at a time
   * and with the concurrency workload's requests in flight.
   */
  readonly replySizes: readonly { readonly serial: Floor; readonly inFlight: Floor }[];
  readonly servers: readonly ServerReport[];
  /** Target 6: the live store synced in a child process from a test API server. */
  readonly liveMemory: LiveMemoryResult;
  /** Whether `liveMemory` was measured at the size target 6 names. */
  readonly liveMemoryAtTargetSize: boolean;
  /** The waits for the last server to go quiet before measuring another (see `waitQuiet`). */
  readonly settling: Settling;
  readonly durationMs: number;
  /** Validation failures (wrong replies, servers that accept a truncated body): a run with any is not a result. */
  readonly problems: readonly string[];
}

export interface Settling {
  waits: number;
  waitedMs: number;
  /** Waits that ended with the server still busy (after a second) or its CPU time unreadable. */
  busy: number;
}

export interface BenchOptions {
  readonly profile: Profile;
  /** Progress lines for a human (stderr in `run.ts`). */
  readonly log?: (line: string) => void;
  /** Milliseconds a server may take to load its state and listen. */
  readonly startTimeoutMs?: number;
  /**
   * The extender's command line after `node`, to which `--listen` and `--state` flags are appended;
   * default `bin/source-affinity.js serve`. Lets the same harness measure another build or implementation.
   */
  readonly extenderArgs?: readonly string[];
}

interface Inputs {
  readonly nodes: readonly GeneratedNode[];
  readonly zoneOf: ReadonlyMap<string, string>;
  readonly fewNames: readonly string[];
  readonly allNames: readonly string[];
  readonly nodeObjects: readonly GeneratedNode[];
  readonly pods: Readonly<Record<PodKind, JsonObject>>;
  readonly stateFiles: Readonly<Record<Exclude<ServerKey, 'echo'>, readonly string[]>>;
}

function prepare(profile: Profile, dir: string, log: (line: string) => void): Inputs {
  const nodes = generateNodes(profile.seed, profile.nodes);
  const rng = new Prng(profile.seed + 1);
  const names = nodes.map((n) => n.name);
  const pods = { a: benchPod(profile.seed, 'a'), b: benchPod(profile.seed, 'b'), c: benchPod(profile.seed, 'c') };
  const file = (name: string, objects: Iterable<JsonObject>): string => {
    const path = join(dir, name);
    const bytes = writeListFile(path, objects);
    log(`wrote ${name} (${(bytes / 1048576).toFixed(1)} MiB)`);
    return path;
  };
  const nodesFile = file('nodes.json', nodes.map(nodeWithTypeMeta));
  const podObjects = POD_KINDS.map((k) => ({ apiVersion: 'v1', kind: 'Pod', ...pods[k] }));
  const baseFile = file('base.json', [...storageClasses(), ...benchObjects(profile.seed), ...podObjects]);
  const volumesFile = file('volumes.json', generateStorage(profile.seed, profile.volumes, names));
  const manyFile = file('many-volumes.json', generateStorage(profile.seed, profile.manyVolumes, names));
  return {
    nodes,
    zoneOf: new Map(nodes.map((n) => [n.name, n.zone])),
    fewNames: rng.sample(names, profile.fewNames),
    allNames: rng.sample(names, names.length),
    nodeObjects: rng.sample(nodes, profile.nodeObjects),
    pods,
    stateFiles: { extender: [nodesFile, baseFile, volumesFile], 'extender-many': [nodesFile, baseFile, manyFile] },
  };
}

interface Request {
  readonly body: Buffer;
  readonly candidates: readonly string[];
  readonly originals?: ReadonlyMap<string, string>;
}

function requestFor(w: Workload, inputs: Inputs): Request {
  const pod = inputs.pods[w.pod];
  if (w.mode === 'nodes') {
    const nodes = inputs.nodeObjects.slice(0, w.candidates);
    return {
      body: nodesModeBody(pod, nodes),
      candidates: nodes.map((n) => n.name),
      originals: new Map(nodes.map((n) => [n.name, JSON.stringify(n.object)])),
    };
  }
  const names = w.candidates === inputs.allNames.length ? inputs.allNames : inputs.fewNames.slice(0, w.candidates);
  return { body: nodeNamesModeBody(pod, names), candidates: names };
}

/** Problems with `server`'s first reply to `verb` for this request (it is validated, not timed). */
async function validate(
  client: Client,
  server: ServerKey,
  verb: Verb,
  w: Workload,
  req: Request,
  inputs: Inputs,
): Promise<string[]> {
  const reply = await client.post(`/${verb}`, req.body, true);
  const where = `${w.key} ${verb} ${server}`;
  if (reply.status !== 200) return [`${where}: HTTP ${reply.status}: ${reply.body?.toString('utf8').slice(0, 300)}`];
  const body = reply.body ?? Buffer.alloc(0);
  const passAll = server === 'echo';
  const problems =
    verb === 'filter'
      ? checkFilterReply(body, {
          mode: w.mode,
          candidates: req.candidates,
          passing: new Set(req.candidates.filter((n) => passAll || expectedToFit(w.pod, inputs.zoneOf.get(n) ?? ''))),
          ...(req.originals === undefined ? {} : { originals: req.originals }),
        })
      : checkPrioritizeReply(body, req.candidates, passAll || w.pod === 'a');
  return problems.map((p) => `${where}: ${p}`);
}

/** Whether `ratio` is within `limit`. */
export function meets(limit: Limit, ratio: number): boolean {
  return limit.max !== undefined ? ratio <= limit.max : ratio >= (limit.min ?? 0);
}

function evaluate(limits: readonly Limit[], ratio: number): Check[] {
  return limits.map((l) => ({
    target: l.target,
    limit: l,
    bound: l.max !== undefined ? `≤ ${l.max}` : `≥ ${l.min}`,
    pass: meets(l, ratio),
  }));
}

async function runWorkload(
  w: Workload,
  inputs: Inputs,
  servers: ReadonlyMap<ServerKey, RunningServer>,
  problems: string[],
  settling: Settling,
): Promise<Row[]> {
  const req = requestFor(w, inputs);
  const clients = new Map<ServerKey, Client>();
  for (const key of w.servers) {
    const server = servers.get(key);
    if (server === undefined) throw new Error(`server ${key} is not running`);
    clients.set(key, new Client(server.url, w.concurrency));
  }
  const client = (key: ServerKey): Client => clients.get(key) as Client;
  // Before a series goes to another server, the last one must be done with its background work.
  let last: RunningServer | undefined;
  const turnTo = async (key: ServerKey): Promise<void> => {
    const next = servers.get(key);
    if (last !== undefined && last !== next) {
      const q = await waitQuiet(last.pid);
      settling.waits++;
      settling.waitedMs += q.waitedMs;
      if (!q.quiet) settling.busy++;
    }
    last = next;
  };
  try {
    for (const verb of VERBS) {
      for (const key of w.servers) {
        problems.push(...(await validate(client(key), key, verb, w, req, inputs)));
        for (let i = 1; i < w.sampling.warmup; i++) await client(key).post(`/${verb}`, req.body, false);
      }
    }
    const samples = new Map<string, number[]>();
    const walls = new Map<string, number>();
    const replyBytes = new Map<string, number>();
    for (let round = 0; round < w.sampling.rounds; round++) {
      const order = round % 2 === 0 ? w.servers : [...w.servers].reverse();
      for (const verb of VERBS) {
        for (const key of order) {
          const id = `${verb}/${key}`;
          const list = samples.get(id) ?? [];
          samples.set(id, list);
          await turnTo(key);
          if (w.concurrency > 1) {
            const burst = await client(key).burst(`/${verb}`, req.body, w.sampling.batch, w.concurrency);
            list.push(...burst.latencies);
            walls.set(id, (walls.get(id) ?? 0) + burst.wallMs);
            replyBytes.set(id, burst.bytes);
            continue;
          }
          for (let i = 0; i < w.sampling.batch; i++) {
            const x = await client(key).post(`/${verb}`, req.body, false);
            if (x.status !== 200) throw new Error(`${w.key} ${verb} ${key}: HTTP ${x.status}`);
            list.push(x.ms);
            replyBytes.set(id, x.bytes);
          }
        }
      }
    }
    return VERBS.map((verb) => {
      const series = (key: ServerKey): SeriesResult => {
        const id = `${verb}/${key}`;
        const latency = summarize(samples.get(id) ?? []);
        const wall = walls.get(id);
        const throughput = wall === undefined ? 1000 / latency.mean : (latency.count * 1000) / wall;
        return { server: key, latency, throughput, replyBytes: replyBytes.get(id) ?? 0 };
      };
      const baseline = series(w.servers[0]);
      const subject = series(w.servers[1]);
      const ratio =
        w.concurrency > 1 ? subject.throughput / baseline.throughput : subject.latency.p50 / baseline.latency.p50;
      return {
        workload: w.key,
        title: w.title,
        verb,
        concurrency: w.concurrency,
        requestBytes: req.body.length,
        baseline,
        subject,
        ratio,
        checks: evaluate(w.limits[verb], ratio),
      };
    });
  } finally {
    for (const c of clients.values()) c.close();
  }
}

async function measureFloor(w: Workload, row: Row, inputs: Inputs, echo: RunningServer): Promise<TransferFloor> {
  const floor = await floorOf(w, row.verb, row.subject.replyBytes, inputs, echo);
  return { workload: w.key, verb: row.verb, baselineReplyBytes: row.baseline.replyBytes, ...floor };
}

/**
 * `w`'s request to `verb` answered by `echo` with a constant reply of `replyBytes`, against echo's
 * own answer, interleaved, with `w`'s concurrency and sampling. Does I/O.
 */
async function floorOf(
  w: Workload,
  verb: Verb,
  replyBytes: number,
  inputs: Inputs,
  echo: RunningServer,
): Promise<Floor> {
  const req = requestFor(w, inputs);
  const client = new Client(echo.url, w.concurrency);
  const path = `/${verb}`;
  const series = { floor: [] as number[], plain: [] as number[] };
  const walls = { floor: 0, plain: 0 };
  const batch =
    w.mode === 'nodes' || w.concurrency > 1 ? w.sampling.batch : Math.max(1, Math.floor(w.sampling.batch / 2));
  const rounds = Math.max(2, Math.floor(w.sampling.rounds / 2));
  const floorHeaders = { [FLOOR_HEADER]: String(replyBytes) };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const which of round % 2 === 0 ? (['floor', 'plain'] as const) : (['plain', 'floor'] as const)) {
        const headers = which === 'floor' ? floorHeaders : {};
        if (w.concurrency > 1) {
          // A burst leaves work behind (garbage, sockets to drain) that must not be timed in the next one.
          await waitQuiet(echo.pid);
          const burst = await client.burst(path, req.body, batch, w.concurrency, headers);
          series[which].push(...burst.latencies);
          walls[which] += burst.wallMs;
          continue;
        }
        for (let i = 0; i < batch; i++) series[which].push((await client.post(path, req.body, false, headers)).ms);
      }
    }
  } finally {
    client.close();
  }
  const floor = summarize(series.floor);
  const plain = summarize(series.plain);
  const throughput = (s: LatencySummary, wallMs: number): number =>
    w.concurrency > 1 ? (s.count * 1000) / wallMs : 1000 / s.mean;
  const result = {
    concurrency: w.concurrency,
    replyBytes,
    p50: floor.p50,
    echoP50: plain.p50,
    throughput: throughput(floor, walls.floor),
    echoThroughput: throughput(plain, walls.plain),
  };
  return {
    ...result,
    ratio: w.concurrency > 1 ? result.throughput / result.echoThroughput : result.p50 / result.echoP50,
  };
}

/** A server must answer a truncated request with HTTP 400 (the harness checks its servers, not only its numbers). */
async function checkRejectsTruncated(key: ServerKey, server: RunningServer, body: Buffer): Promise<string[]> {
  const client = new Client(server.url);
  try {
    const reply = await client.post('/filter', body.subarray(0, Math.floor(body.length / 2)), true);
    return reply.status === 400 ? [] : [`${key}: a truncated filter body got HTTP ${reply.status}, want 400`];
  } finally {
    client.close();
  }
}

/** Runs the whole benchmark for `opts.profile` and returns its report. Does I/O (temp files, child processes, loopback HTTP). */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const profile = opts.profile;
  const dir = mkdtempSync(join(tmpdir(), 'source-affinity-bench-'));
  const servers = new Map<ServerKey, RunningServer>();
  const ready = new Map<ServerKey, number>();
  const problems: string[] = [];
  const rows: Row[] = [];
  const settling: Settling = { waits: 0, waitedMs: 0, busy: 0 };
  try {
    const inputs = prepare(profile, dir, log);
    const timeout = opts.startTimeoutMs ?? 300_000;
    // The extender runs with the Node.js flags and environment of the product's image, as in production.
    const image = productImage();
    const extender = opts.extenderArgs ?? [...image.flags, repoFile('bin/source-affinity.js'), 'serve'];
    const serverArgs: Record<ServerKey, string[]> = {
      echo: [repoFile('dist/bench/echo-server.js'), '--listen', '127.0.0.1:0'],
      extender: [...extender, '--listen', '127.0.0.1:0'],
      'extender-many': [...extender, '--listen', '127.0.0.1:0'],
    };
    for (const key of ['echo', 'extender', 'extender-many'] as const) {
      const args = [
        ...serverArgs[key],
        ...(key === 'echo' ? [] : inputs.stateFiles[key].flatMap((f) => ['--state', f])),
      ];
      const server = await startServer(key, args, timeout, key === 'echo' ? {} : image.env);
      servers.set(key, server);
      ready.set(key, server.memory().rss);
      log(`${key} listening at ${server.url} after ${server.startupMs.toFixed(0)} ms`);
    }
    for (const w of workloads(profile)) {
      log(`workload ${w.key}: ${w.title}`);
      const before = problems.length;
      const result = await runWorkload(w, inputs, servers, problems, settling);
      rows.push(...result);
      for (const p of problems.slice(before)) log(`  problem: ${p}`);
      for (const r of result) {
        log(
          `  ${r.verb}: ${r.baseline.server} p50 ${r.baseline.latency.p50.toFixed(2)} ms, ${r.subject.server} p50 ${r.subject.latency.p50.toFixed(2)} ms, ratio ${r.ratio.toFixed(2)}`,
        );
      }
    }
    const floors: TransferFloor[] = [];
    const echo = servers.get('echo');
    for (const w of workloads(profile)) {
      if (echo === undefined || w.servers[0] !== 'echo') continue;
      for (const row of rows.filter((r) => r.workload === w.key)) floors.push(await measureFloor(w, row, inputs, echo));
    }
    const replySizes: BenchReport['replySizes'][number][] = [];
    const serial = workloads(profile).find((w) => w.key === 'names-c');
    const inFlight = workloads(profile).find((w) => w.key === 'names-c-concurrency');
    if (echo !== undefined && serial !== undefined && inFlight !== undefined) {
      log(`transfer floor of the ${serial.key} filter request by reply size`);
      for (const bytes of profile.replySizes) {
        replySizes.push({
          serial: await floorOf(serial, 'filter', bytes, inputs, echo),
          inFlight: await floorOf(inFlight, 'filter', bytes, inputs, echo),
        });
      }
    }
    log(`live store memory: ${profile.live.nodes} nodes, ${profile.live.volumes} PV/PVC pairs`);
    const liveMemory = await measureLiveMemory(profile.seed, profile.live.nodes, profile.live.volumes, dir);
    log(`  synced in ${(liveMemory.syncMs / 1000).toFixed(1)} s, RSS ${(liveMemory.rss / 1048576).toFixed(0)} MiB`);
    const truncated = requestFor(workloads(profile).find((w) => w.mode === 'nodes') as Workload, inputs).body;
    for (const [key, server] of servers) problems.push(...(await checkRejectsTruncated(key, server, truncated)));
    const meanNodeBytes =
      inputs.nodes.reduce((acc, n) => acc + Buffer.byteLength(JSON.stringify(n.object)), 0) / inputs.nodes.length;
    const serverReports = [...servers].map(([key, s]): ServerReport => {
      const memory = processMemory(s.pid);
      return {
        key,
        state:
          key === 'echo'
            ? '—'
            : key === 'extender'
              ? `${profile.nodes} nodes, ${profile.volumes} PVs/PVCs`
              : `${profile.nodes} nodes, ${profile.manyVolumes} PVs/PVCs`,
        startupMs: s.startupMs,
        rssReady: ready.get(key) ?? 0,
        rssEnd: memory.rss,
        rssPeak: memory.peak,
      };
    });
    const cpuList = cpus();
    return {
      profile: profile.name,
      date: new Date().toISOString(),
      machine: {
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model ?? 'unknown',
        memoryBytes: totalmem(),
        kernel: release(),
        node: process.version,
        extenderImage: image,
      },
      nodeBytes: { mean: meanNodeBytes },
      rows,
      floors,
      replySizes,
      servers: serverReports,
      liveMemory,
      liveMemoryAtTargetSize: profile.live.nodes >= 5000 && profile.live.volumes >= 50_000,
      settling,
      durationMs: performance.now() - started,
      problems,
    };
  } finally {
    for (const s of servers.values()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
