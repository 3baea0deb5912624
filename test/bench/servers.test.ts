import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { cpuNanos, waitQuiet } from '../../bench/servers.js';

/** Where the children's files are (removed after the tests). */
const dirs: string[] = [];

/**
 * A child Node.js process running `script`, on CPU 0 only when `cpu0`; `output()` is what it has
 * written so far with `say(line)`, which appends to a file synchronously: once the child has gone
 * quiet, everything it said before is there to read (a pipe's data would still be on its way).
 */
async function child(script: string, cpu0 = false): Promise<{ proc: ChildProcess; output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'quiet-'));
  dirs.push(dir);
  const file = join(dir, 'said');
  writeFileSync(file, '');
  const say = `const say = (line) => require('node:fs').appendFileSync(${JSON.stringify(file)}, line + '\\n');`;
  const argv = [process.execPath, '-e', `${say} ${script}`];
  const [command, ...args] = cpu0 ? ['taskset', '-c', '0', ...argv] : argv;
  const proc = spawn(command as string, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await once(proc, 'spawn');
  return { proc, output: () => readFileSync(file, 'utf8') };
}

const busyFor = (ms: number): string =>
  `say('started'); const end = Date.now() + ${ms}; while (Date.now() < end); say('done'); setInterval(() => {}, 1e6);`;

// The harness's wait between servers: it must not end while the last server still works, and must end when it cannot tell.
describe('bench servers: waiting for a process to go quiet', function () {
  this.timeout(20_000);
  after(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const cases: {
    name: string;
    script: string;
    maxMs: number;
    want: { quiet: boolean; output: string };
  }[] = [
    {
      name: 'an idle process is quiet',
      script: `say('idle'); setInterval(() => {}, 1e6);`,
      maxMs: 5000,
      want: { quiet: true, output: 'idle\n' },
    },
    {
      name: 'a process is quiet only once its work is done',
      script: busyFor(400),
      maxMs: 5000,
      want: { quiet: true, output: 'started\ndone\n' },
    },
    {
      name: 'a process still working after maxMs is reported busy',
      script: busyFor(60_000),
      maxMs: 300,
      want: { quiet: false, output: 'started\n' },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const { proc, output } = await child(tc.script);
      try {
        // Wait for the first line, so that the process is past its startup.
        while (output() === '') await new Promise((r) => setTimeout(r, 5));
        const q = await waitQuiet(proc.pid as number, 4, tc.maxMs);
        expect({ quiet: q.quiet, output: output() }).to.deep.equal(tc.want);
        if (!tc.want.quiet) expect(q.waitedMs).to.be.at.least(tc.maxMs);
      } finally {
        proc.kill('SIGKILL');
        await once(proc, 'exit');
      }
    });
  }

  it('a process kept off the CPU by others is quiet only once its work is done', async () => {
    // Five busy processes on one CPU: each waits for it ~10 ms at a time, using no CPU time meanwhile.
    const hogs = await Promise.all([1, 2, 3, 4].map(() => child('for (;;);', true)));
    const { proc, output } = await child(busyFor(400), true);
    try {
      while (output() === '') await new Promise((r) => setTimeout(r, 5));
      const q = await waitQuiet(proc.pid as number, 4, 5000);
      expect({ quiet: q.quiet, output: output() }).to.deep.equal({ quiet: true, output: 'started\ndone\n' });
    } finally {
      for (const p of [proc, ...hogs.map((h) => h.proc)]) {
        p.kill('SIGKILL');
        await once(p, 'exit');
      }
    }
  });

  it('counts the CPU time of a busy process and says nothing of one that is gone', async () => {
    const { proc, output } = await child(busyFor(60_000));
    while (output() === '') await new Promise((r) => setTimeout(r, 5));
    const before = cpuNanos(proc.pid as number) as number;
    await new Promise((r) => setTimeout(r, 100));
    const after = cpuNanos(proc.pid as number) as number;
    proc.kill('SIGKILL');
    await once(proc, 'exit');
    expect(after - before).to.be.greaterThan(10_000_000);
    expect(cpuNanos(proc.pid as number)).to.equal(undefined);
    expect(await waitQuiet(proc.pid as number)).to.include({ quiet: false });
  });
});
