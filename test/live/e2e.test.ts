/**
 * End to end: the real `source-affinity` process in live mode (`serve --kubeconfig`, `explain
 * --kubeconfig`) against the in-process test API server, answering kube-scheduler-shaped requests.
 */
import { expect } from 'chai';
import { http, killAll, runCli, type Server, scratch, startServe } from '../cli/support/cli.js';
import { TestApiServer } from '../support/apiserver.js';
import { makeClass, makeNode, makePod, makePV, makePVC } from '../support/builders.js';
import { eventually } from './harness.js';

const a1 = makeNode('a1').zone('zone-a').obj();
const a2 = makeNode('a2').zone('zone-a').obj();
const b1 = makeNode('b1').zone('zone-b').obj();

const cluster = [
  a1,
  a2,
  b1,
  makeClass('wffc').driver('ebs.csi.aws.com').obj(),
  makePV('pv-src').zone('zone-a').csi('ebs.csi.aws.com', 'vol-src').boundTo('db/data').obj(),
  makePVC('db/data').class('wffc').boundTo('pv-src').obj(),
  makePVC('db/copy').class('wffc').cloneOf('data').obj(),
  makePod('db/clone-pod').claim('copy').obj(),
  makePod('db/plain').obj(),
];

interface FilterReply {
  readonly Nodes: { readonly items: readonly { readonly metadata?: { readonly name?: string } }[] } | null;
  readonly NodeNames: readonly string[] | null;
  readonly FailedNodes: Record<string, string>;
  readonly FailedAndUnresolvableNodes: Record<string, string>;
  readonly Error: string;
}

/** What a filter reply says, reduced to names (Nodes mode lists the passing node objects). */
function verdicts(reply: FilterReply): { passed: string[]; failed: string[]; error: string } {
  const passed = reply.Nodes ? reply.Nodes.items.map((n) => n.metadata?.name ?? '') : [...(reply.NodeNames ?? [])];
  return { passed, failed: Object.keys(reply.FailedAndUnresolvableNodes).sort(), error: reply.Error };
}

async function filter(server: Server, body: unknown): Promise<FilterReply> {
  const reply = await http(`${server.url}/filter`, 'POST', JSON.stringify(body));
  expect(reply.status).to.equal(200);
  return JSON.parse(reply.body);
}

describe('live mode end to end (serve and explain against the test API server)', function () {
  this.timeout(30_000);
  let api: TestApiServer;
  let kubeconfig: string;
  let server: Server;

  before(async () => {
    api = await TestApiServer.start({ objects: cluster });
    kubeconfig = await api.writeKubeconfig();
    server = await startServe(['--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0']);
    await eventually(async () => expect((await http(`${server.url}/readyz`)).status).to.equal(200), 10_000);
  });

  after(async () => {
    await killAll();
    await api.close();
  });

  const pods = {
    clone: makePod('db/clone-pod').claim('copy').obj(),
    plain: makePod('db/plain').obj(),
  };

  const cases = [
    {
      name: 'Nodes mode: a zone-a clone passes only zone-a nodes',
      body: { Pod: pods.clone, Nodes: { items: [a1, a2, b1] }, NodeNames: null },
      want: { passed: ['a1', 'a2'], failed: ['b1'], error: '' },
    },
    {
      name: 'NodeNames mode: node labels come from the live cache',
      body: { Pod: pods.clone, Nodes: null, NodeNames: ['a1', 'a2', 'b1'] },
      want: { passed: ['a1', 'a2'], failed: ['b1'], error: '' },
    },
    {
      name: 'a pod without claims takes the fast path',
      body: { Pod: pods.plain, Nodes: null, NodeNames: ['a1', 'b1'] },
      want: { passed: ['a1', 'b1'], failed: [], error: '' },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => expect(verdicts(await filter(server, tc.body))).to.deep.equal(tc.want));
  }

  it('prioritize prefers the source zone, with integer scores', async () => {
    const reply = await http(
      `${server.url}/prioritize`,
      'POST',
      JSON.stringify({ Pod: pods.clone, Nodes: null, NodeNames: ['a1', 'b1'] }),
    );
    const scores: { Host: string; Score: number }[] = JSON.parse(reply.body);
    expect({
      status: reply.status,
      hosts: scores.map((s) => s.Host),
      integers: scores.every((s) => Number.isInteger(s.Score)),
      sourceZoneFirst: (scores[0]?.Score ?? 0) > (scores[1]?.Score ?? 0),
    }).to.deep.equal({ status: 200, hosts: ['a1', 'b1'], integers: true, sourceZoneFirst: true });
  });

  it('/metrics exports the live caches: objects and sync state per resource', async () => {
    // Synced means listed and watching: the last watches may open a moment after /readyz turns 200.
    await eventually(async () => expect(await cacheMetrics(server)).to.deep.equal(wantMetrics));
  });

  const wantMetrics = {
    objects: {
      nodes: 3,
      persistentvolumes: 1,
      persistentvolumeclaims: 2,
      storageclasses: 1,
      volumesnapshots: 0,
      volumesnapshotcontents: 0,
      referencegrants: 0,
    },
    synced: {
      nodes: 1,
      persistentvolumes: 1,
      persistentvolumeclaims: 1,
      storageclasses: 1,
      volumesnapshots: 1,
      volumesnapshotcontents: 1,
      referencegrants: 1,
    },
  };

  async function cacheMetrics(
    target: Server,
  ): Promise<{ objects: Record<string, number>; synced: Record<string, number> }> {
    const metrics = (await http(`${target.url}/metrics`)).body.split('\n');
    const series = (name: string) =>
      Object.fromEntries(
        metrics
          .filter((l) => l.startsWith(`${name}{`))
          .map((l) => {
            const m = /resource="([^"]+)"\} (\S+)/.exec(l);
            return [m?.[1] ?? l, Number(m?.[2])];
          }),
      );
    return { objects: series('source_affinity_cache_objects'), synced: series('source_affinity_cache_synced') };
  }

  it('the rejection message is the one explain reports, with its reason code', async () => {
    const reply = await filter(server, { Pod: pods.clone, Nodes: null, NodeNames: ['b1'] });
    const explained = await runCli(['explain', '--kubeconfig', kubeconfig, '--pod', 'db/clone-pod', '-o', 'json']);
    expect(explained.status, explained.stderr).to.equal(0);
    const result = JSON.parse(explained.stdout);
    const b1Result = result.nodes.find((n: { name: string }) => n.name === 'b1');
    expect({
      fits: result.nodes.map((n: { name: string; fits: boolean }) => [n.name, n.fits]),
      codes: b1Result.reasons.map((r: { code: string }) => r.code),
      wire: reply.FailedAndUnresolvableNodes,
    }).to.deep.equal({
      fits: [
        ['a1', true],
        ['a2', true],
        ['b1', false],
      ],
      codes: ['CloneSourceTopology'],
      wire: { b1: b1Result.reasons[0].message },
    });
  });

  it('a claim created just before its pod is decided from a read-through', async () => {
    // Hold the claim watch so that only a direct read can see the new claim.
    api.inject({ resource: 'persistentvolumeclaims', verb: 'watch', action: { hang: true } });
    api.dropWatches({ resource: 'persistentvolumeclaims' });
    try {
      api.create(makePVC('db/late').class('wffc').cloneOf('data').obj());
      const reply = await filter(server, {
        Pod: makePod('db/late-pod').claim('late').obj(),
        Nodes: null,
        NodeNames: ['a1', 'b1'],
      });
      expect({
        verdicts: verdicts(reply),
        gets: api.requests({ verb: 'get', resource: 'persistentvolumeclaims', name: 'late' }).length,
      }).to.deep.equal({ verdicts: { passed: ['a1'], failed: ['b1'], error: '' }, gets: 1 });
    } finally {
      api.clearFaults();
    }
  });

  it('API server down and the claim uncached: Error (cannotDecide: fail), /readyz stays 200', async () => {
    api.setOffline(true);
    try {
      const reply = await filter(server, {
        Pod: makePod('db/ghost-pod').claim('ghost').obj(),
        Nodes: null,
        NodeNames: ['a1', 'b1'],
      });
      const cached = await filter(server, { Pod: pods.clone, Nodes: null, NodeNames: ['a1', 'b1'] });
      const readyz = await http(`${server.url}/readyz`);
      expect({
        ghost: {
          passed: reply.NodeNames,
          failed: Object.keys(reply.FailedAndUnresolvableNodes),
          hasError: reply.Error !== '',
        },
        cached: verdicts(cached),
        readyz: readyz.status,
      }).to.deep.equal({
        ghost: { passed: null, failed: [], hasError: true },
        cached: { passed: ['a1'], failed: ['b1'], error: '' },
        readyz: 200,
      });
      expect(reply.Error).to.contain('ghost');
    } finally {
      api.setOffline(false);
    }
  });

  it('API server down and the claim uncached under cannotDecide: allow: the claim is let through', async () => {
    const files = scratch();
    const other = await startServe([
      '--kubeconfig',
      kubeconfig,
      '--listen',
      '127.0.0.1:0',
      '--config',
      files.file('config.yaml', 'cannotDecide: allow\n'),
    ]);
    try {
      await eventually(async () => expect((await http(`${other.url}/readyz`)).status).to.equal(200), 10_000);
      api.setOffline(true);
      const reply = await filter(other, {
        Pod: makePod('db/ghost-pod').claim('ghost').obj(),
        Nodes: null,
        NodeNames: ['a1', 'b1'],
      });
      expect(verdicts(reply)).to.deep.equal({ passed: ['a1', 'b1'], failed: [], error: '' });
    } finally {
      api.setOffline(false);
      files.cleanup();
    }
  });

  it('explain of a pod that does not exist exits 1 and says so', async () => {
    const run = await runCli(['explain', '--kubeconfig', kubeconfig, '--pod', 'db/nope']);
    expect({ status: run.status, stderr: run.stderr }).to.deep.equal({
      status: 1,
      stderr: 'source-affinity: pod "db/nope" does not exist in the cluster\n',
    });
  });

  it('SIGTERM stops a live serve cleanly (exit 0, informers stopped)', async () => {
    const other = await startServe(['--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0']);
    other.child.kill('SIGTERM');
    const { code } = await other.exited;
    expect({
      code,
      stopped: other.logs.map((l) => l.msg).filter((m) => m === 'live store stopped' || m === 'stopped'),
    }).to.deep.equal({
      code: 0,
      stopped: ['live store stopped', 'stopped'],
    });
  });

  it('serve with an unreadable kubeconfig exits 1 with a clear message', async () => {
    const run = await runCli(['serve', '--kubeconfig', '/nonexistent/kubeconfig', '--listen', '127.0.0.1:0']);
    expect(run.status).to.equal(1);
    expect(run.stderr).to.match(/^source-affinity: cannot load kubeconfig: .*\/nonexistent\/kubeconfig/);
  });
});
