/**
 * Runs the real `source-affinity` bin in child processes (the same Node binary as the tests) and
 * talks to `serve` over loopback HTTP. Every child is tracked so `killAll` can end it after a test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/cli/support/). */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export const DEMO_STATE = 'examples/demo/cluster.yaml';

/** A request body from `examples/demo/requests/`, as bytes on disk. */
export function demoRequest(file: string): string {
  return readFileSync(join(REPO, 'examples/demo/requests', file), 'utf8');
}

/**
 * HOME of every child: a directory that does not exist, so no `~/.kube/config` of the machine running
 * the tests can turn a run without `--state` into a call to a real cluster.
 */
export const CHILD_HOME = join(tmpdir(), 'source-affinity-cli-no-home');

/** What a run without `--state` says when it finds no cluster credentials (first line of stderr). */
export const NO_CREDENTIALS =
  'source-affinity: no Kubernetes credentials: pass --kubeconfig FILE, set KUBECONFIG, ' +
  `run in a pod with a service account, or create ${join(CHILD_HOME, '.kube', 'config')}`;

const children = new Set<ChildProcess>();

function spawnCli(args: readonly string[]): ChildProcess {
  const child = spawn(process.execPath, ['bin/source-affinity.js', ...args], {
    cwd: REPO,
    // Only PATH and HOME: no KUBECONFIG, no in-cluster service account variables.
    env: { PATH: process.env.PATH, HOME: CHILD_HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (SIGKILL) and waits for each to exit. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion and returns its exit status and output. */
export function runCli(args: readonly string[]): Promise<RunResult> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

/** One pino log line. */
export type LogLine = Readonly<Record<string, unknown>>;

/** A running `serve` child. */
export interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  readonly logs: readonly LogLine[];
  /** Resolves with the exit code (or signal name) and stderr once the child has exited. */
  readonly exited: Promise<{ code: number | string; stderr: string }>;
}

/**
 * Starts `serve ARGS` and resolves once it logs `"msg":"listening"`, with the URL from that line.
 * Rejects if the child exits first or does not listen within `timeoutMs`.
 */
export function startServe(args: readonly string[], timeoutMs = 10_000): Promise<Server> {
  const child = spawnCli(['serve', ...args]);
  const logs: LogLine[] = [];
  let stderr = '';
  let pending = '';
  const exited = new Promise<{ code: number | string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', stderr })),
  );
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not log "listening" in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (c: Buffer) => {
      pending += c.toString('utf8');
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let log: LogLine;
        try {
          log = JSON.parse(line) as LogLine;
        } catch {
          log = { msg: `(not JSON) ${line}` };
        }
        logs.push(log);
        if (log.msg === 'listening' && typeof log.url === 'string') {
          clearTimeout(timer);
          resolve({ url: log.url, child, logs, exited });
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before listening: ${stderr}`));
    });
  });
}

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** One HTTP request without connection reuse (so a stopping server has no idle sockets to wait for). */
export function http(url: string, method: 'GET' | 'POST' = 'GET', body?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A scratch directory for files a test writes; `cleanup` removes it. */
export function scratch(): { dir: string; file: (name: string, text: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'source-affinity-cli-'));
  return {
    dir,
    file: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
