import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/ops/support/). */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** One pino JSON line from the child's stdout. */
export interface LogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly [key: string]: unknown;
}

/** A running `source-affinity` child process and everything it logged so far. */
export interface Child {
  readonly proc: ChildProcess;
  readonly logs: LogLine[];
  readonly stderr: () => string;
  /** Resolves with the first log line with this `msg` (rejects if the process exits first). */
  waitFor(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

/** Starts `node bin/source-affinity.js ARGS` with the same Node binary that runs the tests. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ['bin/source-affinity.js', ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let err = '';
  let buffered = '';
  const waiters: Array<() => void> = [];
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: `(not JSON) ${line}` });
      }
      nl = buffered.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    proc,
    logs,
    stderr: () => err,
    exited,
    waitFor(msg, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms; stderr: ${err}`)),
          timeoutMs,
        );
        const check = () => {
          const hit = logs.find((l) => l.msg === msg);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited before "${msg}": ${err}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
  };
}
