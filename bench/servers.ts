/**
 * Child-process servers under test: the extender (`bin/source-affinity.js serve`) and the echo
 * baseline. Each is started with `--listen 127.0.0.1:0` and is ready when it logs a JSON line with
 * `"msg":"listening"` and its `"url"`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningServer {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  /** How long the process took from spawn to its "listening" line, in milliseconds. */
  readonly startupMs: number;
  /** Resident set size now and its peak (VmRSS, VmHWM from /proc), in bytes. */
  memory(): { rss: number; peak: number };
  /** The last lines the process wrote (for error messages). */
  tail(): string[];
  stop(): Promise<void>;
}

/** Reads VmRSS and VmHWM of a process from /proc (Linux), in bytes; zeros where unavailable. */
export function processMemory(pid: number): { rss: number; peak: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, peak: 0 };
  }
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  };
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/**
 * The file `name` of every thread of process `pid` (`/proc/PID/task/TID/name`), or undefined where
 * /proc does not say (not Linux, or the process is gone). Threads that exit between listing and
 * reading are left out. Does I/O.
 */
function threadFiles(pid: number, name: string): string[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const files: string[] = [];
  for (const tid of tasks) {
    try {
      files.push(readFileSync(`/proc/${pid}/task/${tid}/${name}`, 'utf8'));
    } catch {
      // the thread exited meanwhile
    }
  }
  return files;
}

/**
 * CPU time used so far by all threads of process `pid` (the first field of each thread's
 * `schedstat`), in nanoseconds; undefined where /proc does not say. Does I/O.
 */
export function cpuNanos(pid: number): number | undefined {
  const total = threadFiles(pid, 'schedstat')?.reduce((sum, f) => sum + Number(f.split(' ')[0]), 0);
  return total !== undefined && Number.isFinite(total) ? total : undefined;
}

/**
 * Whether a thread of process `pid` is running or waiting for a CPU (state R in its `stat`): a
 * process kept off the CPUs by others uses no CPU time, yet is not done. False where /proc does not
 * say. Does I/O.
 */
export function runnable(pid: number): boolean {
  // "tid (comm) state …": comm may hold spaces and parentheses, so read after the last ')'.
  return (threadFiles(pid, 'stat') ?? []).some((stat) => stat[stat.lastIndexOf(')') + 2] === 'R');
}

export interface Quiet {
  /** How long the wait took, in milliseconds. */
  readonly waitedMs: number;
  /** False when the process was still busy after `maxMs`, or its CPU time could not be read. */
  readonly quiet: boolean;
}

/**
 * Resolves once process `pid` has used less than `busyNanos` of CPU over the last `windowMs`
 * (polled every millisecond or so) and no thread of it is `runnable`, or after `maxMs`. A
 * server's work does not end with its reply: V8 sweeps and frees the garbage of a call on
 * background threads, which after a 9 MB JSON.parse is ~15 ms of CPU in the next ~12 ms. The harness waits for that before it measures another
 * server, so that on a 2-core machine one server's leftovers are not timed as the next one's
 * latency. Does I/O.
 */
export async function waitQuiet(pid: number, windowMs = 4, maxMs = 1000, busyNanos = 200_000): Promise<Quiet> {
  const started = performance.now();
  const readings: { at: number; ns: number }[] = [];
  for (;;) {
    const ns = cpuNanos(pid);
    const at = performance.now();
    if (ns === undefined) return { waitedMs: at - started, quiet: false };
    readings.push({ at, ns });
    while (readings.length > 1 && at - (readings[1] as { at: number }).at >= windowMs) readings.shift();
    const first = readings[0] as { at: number; ns: number };
    if (at - first.at >= windowMs && ns - first.ns < busyNanos && !runnable(pid)) {
      return { waitedMs: at - started, quiet: true };
    }
    if (at - started >= maxMs) return { waitedMs: at - started, quiet: false };
    await sleep(1);
  }
}

/**
 * Spawns `process.execPath args…` and resolves once it logs its listening URL; rejects (and kills
 * it) if it exits first or is not ready within `timeoutMs`. `env` is added to this process's
 * environment. Does I/O.
 */
export function startServer(
  label: string,
  args: readonly string[],
  timeoutMs: number,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningServer> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const remember = (line: string): void => {
    lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (lines.length > 20) lines.shift();
  };
  if (child.stderr) createInterface({ input: child.stderr }).on('line', remember);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<RunningServer>((resolve, reject) => {
    let ready = false;
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${label}: ${why}\n${lines.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited before listening (code ${code}, signal ${signal})`);
    });
    if (!child.stdout) {
      fail('no stdout');
      return;
    }
    createInterface({ input: child.stdout }).on('line', (line) => {
      remember(line);
      if (ready || !line.includes('listening')) return;
      let url: unknown;
      try {
        const record = JSON.parse(line) as { msg?: unknown; url?: unknown };
        if (record.msg === 'listening') url = record.url;
      } catch {
        return;
      }
      if (typeof url !== 'string' || child.pid === undefined) return;
      ready = true;
      clearTimeout(timer);
      const pid = child.pid;
      resolve({
        label,
        url,
        pid,
        startupMs: performance.now() - started,
        memory: () => processMemory(pid),
        tail: () => lines.slice(),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}
