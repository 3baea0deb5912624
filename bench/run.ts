/**
 * `npm run bench [-- --quick | --smoke] [--out FILE] [--json FILE] [--no-write]`: runs the benchmark
 * and writes docs/PERFORMANCE.md (full profile) or prints the table (other profiles, unless --out).
 * `npm run bench -- --sizing [--quick | --smoke]` prints the sizing table of docs/OPERATIONS.md instead.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench } from './harness.js';
import { renderMarkdown } from './report.js';
import { measureServe, renderSizing, type SizingResult } from './sizing.js';
import { PROFILES } from './workloads.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    sizing: { type: 'boolean', default: false },
  },
});
const profile = values.smoke ? PROFILES.smoke : values.quick ? PROFILES.quick : PROFILES.full;

/** `--sizing`: `serve` on each of the profile's clusters, as a Markdown table on stdout. */
async function sizing(): Promise<void> {
  const results: SizingResult[] = [];
  for (const [nodes, volumes] of profile.sizing.clusters) {
    const dir = mkdtempSync(join(tmpdir(), 'source-affinity-sizing-'));
    try {
      process.stderr.write(`serve on ${nodes} nodes, ${volumes} PV/PVC pairs\n`);
      results.push(await measureServe(profile.seed, nodes, volumes, profile.sizing.rounds, dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(renderSizing(results));
}

/** The benchmark: docs/PERFORMANCE.md, or the table on stdout. */
async function bench(): Promise<void> {
  const defaultOut = fileURLToPath(new URL('../../docs/PERFORMANCE.md', import.meta.url));
  const out = values['no-write'] ? undefined : (values.out ?? (profile.name === 'full' ? defaultOut : undefined));

  const report = await runBench({ profile, log: (line) => process.stderr.write(`${line}\n`) });
  let previous: string | undefined;
  try {
    previous = readFileSync(out ?? defaultOut, 'utf8');
  } catch {
    previous = undefined;
  }
  const markdown = renderMarkdown(report, previous);
  if (out === undefined) process.stdout.write(markdown);
  else {
    writeFileSync(out, markdown);
    process.stderr.write(`wrote ${out}\n`);
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (report.problems.length > 0) {
    process.stderr.write(`${report.problems.length} validation problem(s): see the report\n`);
    process.exitCode = 1;
  }
}

await (values.sizing ? sizing() : bench());
