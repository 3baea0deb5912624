/**
 * Checks that a reply is what kube-scheduler accepts from an extender and carries the expected
 * decision: the harness validates the first reply of every series, so a broken server cannot
 * produce a fast but meaningless number. Keys are matched case-insensitively, as Go decodes them.
 */

/** What a filter reply must say: which candidates pass (by name), in which request mode. */
export interface FilterExpectation {
  readonly mode: 'names' | 'nodes';
  /** Candidate names in request order. */
  readonly candidates: readonly string[];
  readonly passing: ReadonlySet<string>;
  /** Nodes mode: each candidate's JSON as sent; a passing node must come back as the same JSON. */
  readonly originals?: ReadonlyMap<string, string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of `key` in `obj` matched case-insensitively (the last match wins, like Go's decoder). */
function field(obj: Record<string, unknown>, key: string): unknown {
  let found: unknown;
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) found = v;
  return found;
}

function parse(body: Buffer): { value?: unknown; problem?: string } {
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch (err) {
    return { problem: `reply is not JSON: ${(err as Error).message}` };
  }
}

function sameSet(got: readonly string[], want: ReadonlySet<string>): boolean {
  return got.length === want.size && new Set(got).size === got.length && got.every((n) => want.has(n));
}

/** Problems with a filter reply (empty when it is valid and says exactly what was expected). */
export function checkFilterReply(body: Buffer, want: FilterExpectation): string[] {
  const { value, problem } = parse(body);
  if (problem !== undefined) return [problem];
  if (!isObject(value)) return ['filter reply is not a JSON object'];
  const problems: string[] = [];
  const error = field(value, 'Error');
  if (error !== undefined && error !== '') problems.push(`reply carries Error ${JSON.stringify(error)}`);

  let passing: string[] = [];
  if (want.mode === 'names') {
    const names = field(value, 'NodeNames');
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      return [...problems, 'NodeNames is not a list of names'];
    }
    passing = names;
  } else {
    const nodes = field(value, 'Nodes');
    const items = isObject(nodes) ? field(nodes, 'items') : undefined;
    if (!Array.isArray(items)) return [...problems, 'Nodes.items is not a list'];
    for (const item of items) {
      const meta = isObject(item) ? item.metadata : undefined;
      const name = isObject(meta) ? meta.name : undefined;
      if (typeof name !== 'string') {
        problems.push('a node in Nodes.items has no metadata.name');
        continue;
      }
      passing.push(name);
      const original = want.originals?.get(name);
      if (original !== undefined && JSON.stringify(item) !== original) {
        problems.push(`node ${name} does not come back as it was sent`);
      }
    }
  }
  if (!sameSet(passing, want.passing)) {
    problems.push(`passing nodes ${describe(passing)}, want ${describe([...want.passing])}`);
  }

  // Every candidate that does not pass must be in a failure map with a non-empty reason.
  const failed = new Map<string, unknown>();
  for (const key of ['FailedNodes', 'FailedAndUnresolvableNodes']) {
    const map = field(value, key);
    if (map === undefined || map === null) continue;
    if (!isObject(map)) {
      problems.push(`${key} is not an object`);
      continue;
    }
    for (const [name, reason] of Object.entries(map)) failed.set(name, reason);
  }
  const unexplained = want.candidates.filter((name) => {
    const reason = failed.get(name);
    return !want.passing.has(name) && (typeof reason !== 'string' || reason === '');
  });
  if (unexplained.length > 0) problems.push(`rejected nodes without a reason: ${describe(unexplained)}`);
  const candidates = new Set(want.candidates);
  const strangers = [...passing, ...failed.keys()].filter((name) => !candidates.has(name));
  if (strangers.length > 0) problems.push(`reply names nodes that are not candidates: ${describe(strangers)}`);
  return problems;
}

/** Problems with a prioritize reply: one integer score 0–10 per candidate; `allZero` for pods that take the fast path. */
export function checkPrioritizeReply(body: Buffer, candidates: readonly string[], allZero: boolean): string[] {
  const { value, problem } = parse(body);
  if (problem !== undefined) return [problem];
  if (!Array.isArray(value)) return ['prioritize reply is not a JSON array'];
  const problems: string[] = [];
  const hosts: string[] = [];
  for (const entry of value) {
    const host = isObject(entry) ? field(entry, 'Host') : undefined;
    const score = isObject(entry) ? field(entry, 'Score') : undefined;
    if (typeof host !== 'string') {
      problems.push('a host priority has no Host');
      continue;
    }
    hosts.push(host);
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) {
      problems.push(`score of ${host} is ${JSON.stringify(score)}, not an integer 0–10`);
    } else if (allZero && score !== 0) {
      problems.push(`score of ${host} is ${score}, want 0`);
    }
  }
  if (!sameSet(hosts, new Set(candidates))) problems.push(`scored hosts ${describe(hosts)}, want every candidate once`);
  return problems.slice(0, 10);
}

function describe(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return `[${shown}${names.length > 3 ? `, … (${names.length})` : ''}]`;
}
