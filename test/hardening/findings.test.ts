/**
 * Regression tests for what hardening found in the request path, one per finding; each fails
 * without its fix:
 * - a pod with thousands of missing claims made each node's reason string the join of thousands of
 *   messages (a 5,000-node reply of gigabytes: 24 s, then a 500);
 * - per-node work grew with pod-level problems, which are the same for every node;
 * - Nodes-mode rejections of non-ASCII node names were written as latin1, so the reply named
 *   nodes that were not in the request;
 * - in live mode, a pod with hundreds of claims missing from the cache became as many concurrent
 *   GETs to the API server;
 * - a small body that JSON.parse rejected was logged (and answered) with V8's message, which quotes
 *   a stretch of the body.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { StaticStore } from '../../src/cluster/static.js';
import type { ClusterStore } from '../../src/cluster/store.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { loadConfig } from '../../src/config/config.js';
import { explainPod } from '../../src/explain.js';
import { joinReasons, MAX_NODE_REASON, MAX_READ_THROUGH } from '../../src/extender/decide.js';
import { createLogger } from '../../src/observability/logger.js';
import { startHarness } from '../live/harness.js';
import { makeNode, makePod, makePV, makePVC } from '../support/builders.js';
import { type Running, serveApp } from '../support/http.js';
import { send } from './support/client.js';

const config = loadConfig();

async function filter(server: Running, body: unknown): Promise<Record<string, unknown>> {
  const answer = await send(server.url, { path: '/filter', body: Buffer.from(JSON.stringify(body)) });
  expect(answer.status, answer.body.slice(0, 200)).to.equal(200);
  return JSON.parse(answer.body);
}

function storeOf(objects: readonly KubeObject[]): StaticStore {
  const store = new StaticStore();
  for (const o of objects) store.add(o);
  return store;
}

describe('findings: bounded replies and exact names', function () {
  this.timeout(60_000);
  const servers: Running[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  async function serve(store: ClusterStore): Promise<Running> {
    const s = await serveApp(createApp({ store, config, logger: createLogger('silent') }));
    servers.push(s);
    return s;
  }

  it('2,000 missing claims × 500 nodes: each node gets the first reasons and a count of the rest', async () => {
    const nodes = Array.from({ length: 500 }, (_, i) => makeNode(`n${i}`).obj());
    const many = makePod('db/many');
    for (let i = 0; i < 2_000; i++) many.claim(`c${i}`);
    const pod = many.obj();
    const server = await serve(storeOf(nodes));
    const reply = await filter(server, { Pod: pod, Nodes: null, NodeNames: nodes.map((n) => n.metadata?.name) });
    const failed = reply.FailedAndUnresolvableNodes as Record<string, string>;
    const reasons = new Set(Object.values(failed));
    const [reason = ''] = reasons;
    expect({
      passed: reply.NodeNames,
      failed: Object.keys(failed).length,
      distinct: reasons.size,
      bounded: reason.length <= MAX_NODE_REASON + 20,
      start: reason.startsWith('pvc "db/c0" not found; pvc "db/c1" not found;'),
      end: /; and \d+ more$/.exec(reason)?.[0],
    }).to.deep.equal({
      passed: [],
      failed: 500,
      distinct: 1,
      bounded: true,
      start: true,
      end: `; and ${2_000 - (reason.match(/not found/g)?.length ?? 0)} more`,
    });
  });

  it('40 bound claims in two zones (over 30 node-dependent checks): every node gets exactly its reasons', async () => {
    const objects: KubeObject[] = [];
    const wide = makePod('db/wide');
    for (let i = 0; i < 40; i++) {
      const zone = i % 2 === 0 ? 'zone-a' : 'zone-b';
      objects.push(makePV(`pv${i}`).zone(zone).boundTo(`db/c${i}`).obj(), makePVC(`db/c${i}`).boundTo(`pv${i}`).obj());
      wide.claim(`c${i}`);
    }
    // A missing claim too: a pod-level problem every node shares.
    const pod = wide.claim('gone').obj();
    const nodes = [
      makeNode('a1').zone('zone-a').obj(),
      makeNode('b1').zone('zone-b').obj(),
      makeNode('c1').zone('zone-c').obj(),
    ];
    const store = storeOf([...objects, ...nodes]);
    const server = await serve(store);
    const names = ['a1', 'b1', 'c1'];
    const reply = await filter(server, { Pod: pod, Nodes: null, NodeNames: names });
    const explained = await explainPod(pod, store, config, names);
    const want = Object.fromEntries(explained.nodes.map((n) => [n.name, joinReasons(n.reasons)]));
    expect({
      wire: reply.FailedAndUnresolvableNodes,
      counts: explained.nodes.map((n) => n.reasons.length),
    }).to.deep.equal({ wire: want, counts: [21, 21, 41] });
  });

  it('Nodes mode: rejected nodes with non-ASCII names are named exactly as received', async () => {
    const names = ['nœud-1', 'ノード', 'n\u{1F600}', 'plain'];
    const server = await serve(storeOf([]));
    const reply = await filter(server, {
      Pod: makePod('db/p').claim('missing').obj(),
      Nodes: { items: names.map((n) => makeNode(n).obj()) },
      NodeNames: null,
    });
    expect(Object.keys(reply.FailedAndUnresolvableNodes as object)).to.deep.equal(names);
  });

  it(`live mode: a pod with 200 claims missing from the cache reads at most ${MAX_READ_THROUGH} of them through`, async () => {
    const h = await startHarness({ objects: [makeNode('a1').obj()] });
    try {
      const server = await serve(h.store);
      const many = makePod('db/many');
      for (let i = 0; i < 200; i++) many.claim(`c${i}`);
      h.api.clearRequests();
      const reply = await filter(server, { Pod: many.obj(), Nodes: null, NodeNames: ['a1'] });
      expect({
        passed: reply.NodeNames,
        error: reply.Error,
        rejected: Object.keys(reply.FailedAndUnresolvableNodes as object),
        gets: h.api.requests({ verb: 'get', resource: 'persistentvolumeclaims' }).length,
      }).to.deep.equal({ passed: [], error: '', rejected: ['a1'], gets: MAX_READ_THROUGH });
    } finally {
      await h.close();
    }
  });

  it('a body that is not JSON is reported by byte offset: neither the log nor the reply quotes it', async () => {
    const logged: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged.push(chunk.toString('utf8'));
        callback();
      },
    });
    const server = await serveApp(createApp({ store: storeOf([]), config, logger: pino({ level: 'info' }, sink) }));
    servers.push(server);
    const body = '{"Pod":{"spec":{"containers":[{"env":[{"value":"hunter2-secret"}]}]}},"NodeNames":[x]}';
    const answer = await send(server.url, { path: '/filter', body: Buffer.from(body) });
    expect({
      status: answer.status,
      reply: JSON.parse(answer.body),
      leaked: [answer.body, ...logged].filter((text) => text.includes('hunter2')),
    }).to.deep.equal({
      status: 400,
      reply: { error: 'request body is not valid JSON: expected a JSON value (found "x") at byte 83' },
      leaked: [],
    });
  });
});
