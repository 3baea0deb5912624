/**
 * Fuzzing the real `serve` process (a child, loopback HTTP, one keep-alive connection as
 * kube-scheduler uses) with hostile calls of /filter and /prioritize: every reply keeps the
 * contract, the process never dies, and the sentinel call keeps getting its known answer.
 * Seeded: a failure prints the seed and path that reproduce it (`FUZZ_SEED=… npm run fuzz`).
 */
import type { Agent } from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { killAll, type Server, scratch, startServe } from '../cli/support/cli.js';
import { keepAlive, type Send, send } from './support/client.js';
import {
  type Answer,
  bigBody,
  CLUSTER,
  contractViolation,
  hostileBody,
  preview,
  runs,
  SEED,
  SENTINEL,
} from './support/fuzz.js';

type Verb = 'filter' | 'prioritize';

interface Call {
  readonly verb: Verb;
  readonly send: Send;
  readonly kind: string;
}

/** How a call reaches the verb: method, path spelling, content type, framing. */
const envelope = fc.record({
  verb: fc.constantFrom<Verb>('filter', 'prioritize'),
  method: fc.oneof(
    { arbitrary: fc.constant('POST'), weight: 12 },
    { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), weight: 1 },
  ),
  query: fc.oneof(
    { arbitrary: fc.constant(''), weight: 8 },
    { arbitrary: fc.constantFrom('?x=1', '?', '?a=%ZZ'), weight: 1 },
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constant<string | null>('application/json'), weight: 12 },
    {
      arbitrary: fc.constantFrom<string | null>(
        null,
        '',
        'text/plain',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/jsonx',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json;;;',
      ),
      weight: 2,
    },
  ),
  chunked: fc.boolean(),
});

const call = (body: fc.Arbitrary<{ kind: string; bytes: Buffer }>): fc.Arbitrary<Call> =>
  fc.tuple(envelope, body).map(([e, b]) => ({
    [fc.toStringMethod]: () =>
      preview(`${e.method} /${e.verb}${e.query} ${e.contentType} ${e.chunked ? 'chunked' : ''} ${b.kind}`, b.bytes),
    verb: e.verb,
    kind: `${e.method} ${e.verb} ${e.contentType} ${b.kind}`,
    send: {
      method: e.method,
      path: `/${e.verb}${e.query}`,
      contentType: e.contentType,
      chunked: e.chunked,
      ...(e.method === 'GET' || e.method === 'HEAD' ? {} : { body: b.bytes }),
    },
  }));

describe('fuzz: the serve process under hostile calls (child process, loopback HTTP)', function () {
  this.timeout(600_000);
  let server: Server;
  let agent: Agent;
  let sentinel: Answer;
  const files = scratch();
  const counts = { calls: 0, sentinels: 0, byStatus: {} as Record<number, number> };

  before(async () => {
    const state = files.file('cluster.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: CLUSTER }));
    // A small body limit so that large bodies meet the 413 path too.
    const config = files.file('config.yaml', 'bodyLimit: 4Mi\n');
    server = await startServe(['--state', state, '--config', config, '--listen', '127.0.0.1:0']);
    agent = keepAlive();
    sentinel = await send(server.url, { path: '/filter', body: Buffer.from(SENTINEL) }, agent);
  });

  after(async () => {
    agent?.destroy();
    await killAll();
    files.cleanup();
    // Reported so a run shows what it covered.
    console.log(
      `      http fuzz: ${counts.calls} generated calls by status ${JSON.stringify(counts.byStatus)}, each followed by the sentinel (${counts.sentinels} answered correctly)`,
    );
  });

  it('the sentinel call answers zone-a nodes, rejecting b1 for its clone source', () => {
    const reply = JSON.parse(sentinel.body);
    expect({
      status: sentinel.status,
      passed: reply.NodeNames,
      failed: Object.keys(reply.FailedAndUnresolvableNodes),
      error: reply.Error,
    }).to.deep.equal({ status: 200, passed: ['a1', 'a2'], failed: ['b1'], error: '' });
  });

  let previous = '';
  /** Sends `c`, checks the contract, then checks that the sentinel call right after gets its known answer. */
  async function check(c: Call): Promise<void> {
    let answer: Answer;
    try {
      answer = await send(server.url, c.send, agent);
    } catch (err) {
      // A dead server is the finding: say how it ended.
      await new Promise((r) => setTimeout(r, 200));
      const last = server.logs.slice(-3).map((l) => JSON.stringify(l));
      throw new Error(
        `${(err as Error).message}; server exit code ${server.child.exitCode}; previous call ${previous}; last logs ${last}`,
      );
    }
    previous = preview(c.kind, c.send.body);
    counts.calls++;
    counts.byStatus[answer.status] = (counts.byStatus[answer.status] ?? 0) + 1;
    const broken = contractViolation(c.verb, c.send.method ?? 'POST', c.send.body ?? Buffer.alloc(0), answer);
    if (broken !== undefined)
      throw new Error(
        `${c.kind}: ${broken}; reply ${answer.body.slice(0, 600)}; request ${c.send.body?.toString('latin1').slice(0, 600)}`,
      );
    const again = await send(server.url, { path: '/filter', body: Buffer.from(SENTINEL) }, agent);
    counts.sentinels++;
    expect(again, `sentinel after ${c.kind}`).to.deep.equal(sentinel);
  }

  it('hostile bodies: wrong types at every field, truncated, random, duplicate keys, __proto__, invalid UTF-8, empty', async () => {
    await fc.assert(fc.asyncProperty(call(hostileBody), check), {
      seed: SEED,
      numRuns: runs(6_000),
      endOnFailure: true,
    });
  });

  it('expensive bodies: nesting up to 100,000 deep, strings and lists up to megabytes', async () => {
    await fc.assert(fc.asyncProperty(call(bigBody), check), { seed: SEED, numRuns: runs(60), endOnFailure: true });
  });

  it('the process is still serving the sentinel correctly, never crashed and logged no internal error', async () => {
    const again = await send(server.url, { path: '/filter', body: Buffer.from(SENTINEL) }, agent);
    const internal = server.logs.filter((l) => (l.level as number) >= 50);
    expect({ again, exited: server.child.exitCode, internal }).to.deep.equal({
      again: sentinel,
      exited: null,
      internal: [],
    });
  });
});
