/**
 * `source-affinity serve --state examples/demo/cluster.yaml` in a child process, called over real
 * loopback HTTP with the demo's kube-scheduler-shaped request bodies.
 */
import { expect } from 'chai';
import {
  DEMO_STATE,
  demoRequest,
  http,
  killAll,
  NO_CREDENTIALS,
  runCli,
  type Server,
  scratch,
  startServe,
} from './support/cli.js';
import {
  CLONE_CACHE_MESSAGE,
  CLONE_DB_MESSAGE,
  type DemoNode,
  NO_SCORES,
  REQUEST_ORDER,
  ZONE_A_SCORES,
} from './support/demo.js';

interface NodeObject {
  readonly metadata: { readonly name: string };
}

/** The full Node objects of a `Nodes`-mode request, by name, exactly as sent. */
function requestNodes(file: string, names: readonly string[]): NodeObject[] {
  const body = JSON.parse(demoRequest(file)) as { Nodes: { items: NodeObject[] } };
  return body.Nodes.items.filter((n) => names.includes(n.metadata.name));
}

/** The prioritize reply for a score table: a HostPriorityList in request order. */
const scores = (table: Readonly<Record<DemoNode, number>>) =>
  REQUEST_ORDER.map((Host) => ({ Host, Score: table[Host] }));

describe('serve on the demo state (child process, loopback HTTP)', () => {
  let server: Server;
  before(async () => {
    server = await startServe(['--state', DEMO_STATE, '--listen', '127.0.0.1:0']);
  });
  after(killAll);

  it('logs the bound loopback URL with the port the OS picked', () => {
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
  });

  it('answers the probes', async () => {
    const [healthz, readyz] = await Promise.all([http(`${server.url}/healthz`), http(`${server.url}/readyz`)]);
    expect({ healthz: healthz.status, readyz: readyz.status }).to.deep.equal({ healthz: 200, readyz: 200 });
  });

  interface Case {
    readonly name: string;
    readonly verb: 'filter' | 'prioritize';
    readonly request: string;
    readonly want: unknown;
  }
  const cases: Case[] = [
    {
      name: 'filter, NodeNames: a zone-A clone passes only zone-A nodes, the rest are unresolvable with the reason',
      verb: 'filter',
      request: 'filter-db-clone.json',
      want: {
        Nodes: null,
        NodeNames: ['node-a1', 'node-a2'],
        FailedNodes: {},
        FailedAndUnresolvableNodes: {
          'node-b1': CLONE_DB_MESSAGE,
          'node-c1': CLONE_DB_MESSAGE,
          'node-b2': CLONE_DB_MESSAGE,
          'node-c2': CLONE_DB_MESSAGE,
        },
        Error: '',
      },
    },
    {
      name: 'filter, Nodes: the passing nodes come back as the full objects received',
      verb: 'filter',
      request: 'filter-db-clone-nodes.json',
      want: {
        Nodes: { metadata: {}, items: requestNodes('filter-db-clone-nodes.json', ['node-a1', 'node-a2']) },
        NodeNames: null,
        FailedNodes: {},
        FailedAndUnresolvableNodes: {
          'node-b1': CLONE_DB_MESSAGE,
          'node-c1': CLONE_DB_MESSAGE,
          'node-b2': CLONE_DB_MESSAGE,
          'node-c2': CLONE_DB_MESSAGE,
        },
        Error: '',
      },
    },
    {
      name: 'prioritize, NodeNames: integer closeness scores in input order',
      verb: 'prioritize',
      request: 'prioritize-db-clone.json',
      want: scores(ZONE_A_SCORES),
    },
    {
      name: 'prioritize, Nodes: the same scores from the node objects',
      verb: 'prioritize',
      request: 'prioritize-db-clone-nodes.json',
      want: scores(ZONE_A_SCORES),
    },
    {
      name: 'filter: an EBS restore may land anywhere in the region',
      verb: 'filter',
      request: 'filter-db-restore.json',
      want: { Nodes: null, NodeNames: [...REQUEST_ORDER], FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' },
    },
    {
      name: "prioritize: an EBS restore prefers the source volume's zone",
      verb: 'prioritize',
      request: 'prioritize-db-restore.json',
      want: scores(ZONE_A_SCORES),
    },
    {
      name: 'filter: a node-local clone passes only the source node',
      verb: 'filter',
      request: 'filter-cache-warm.json',
      want: {
        Nodes: null,
        NodeNames: ['node-b1'],
        FailedNodes: {},
        FailedAndUnresolvableNodes: {
          'node-a1': CLONE_CACHE_MESSAGE,
          'node-c1': CLONE_CACHE_MESSAGE,
          'node-a2': CLONE_CACHE_MESSAGE,
          'node-b2': CLONE_CACHE_MESSAGE,
          'node-c2': CLONE_CACHE_MESSAGE,
        },
        Error: '',
      },
    },
    {
      name: 'prioritize: a source located only by a driver-specific key scores every node 0',
      verb: 'prioritize',
      request: 'prioritize-cache-warm.json',
      want: scores(NO_SCORES),
    },
    {
      name: 'filter: a pod without claims passes every node',
      verb: 'filter',
      request: 'filter-web.json',
      want: { Nodes: null, NodeNames: [...REQUEST_ORDER], FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' },
    },
    {
      name: 'prioritize: a pod without claims scores every node 0',
      verb: 'prioritize',
      request: 'filter-web.json',
      want: scores(NO_SCORES),
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const reply = await http(`${server.url}/${tc.verb}`, 'POST', demoRequest(tc.request));
      expect({ status: reply.status, contentType: reply.contentType, body: JSON.parse(reply.body) }).to.deep.equal({
        status: 200,
        contentType: 'application/json; charset=utf-8',
        body: tc.want,
      });
    });
  }

  it('sends the same verdicts that explain prints for the same pod', async () => {
    const [reply, explained] = await Promise.all([
      http(`${server.url}/filter`, 'POST', demoRequest('filter-db-clone.json')),
      runCli([
        'explain',
        '--state',
        DEMO_STATE,
        '--pod',
        'demo/db-clone',
        '--nodes',
        REQUEST_ORDER.join(','),
        '-o',
        'json',
      ]),
    ]);
    const wire = JSON.parse(reply.body) as { NodeNames: string[]; FailedAndUnresolvableNodes: Record<string, string> };
    const explanation = JSON.parse(explained.stdout) as {
      nodes: { name: string; fits: boolean; reasons: { message: string }[] }[];
    };
    expect({
      passing: explanation.nodes.filter((n) => n.fits).map((n) => n.name),
      failed: Object.fromEntries(
        explanation.nodes.filter((n) => !n.fits).map((n) => [n.name, n.reasons.map((r) => r.message).join('; ')]),
      ),
    }).to.deep.equal({ passing: wire.NodeNames, failed: wire.FailedAndUnresolvableNodes });
  });
});

describe('serve lifecycle (child process)', () => {
  afterEach(killAll);

  it('exits 0 on SIGTERM after logging the shutdown', async () => {
    const server = await startServe(['--state', DEMO_STATE, '--listen', '127.0.0.1:0']);
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    const shutdown = server.logs.find((l) => l.msg === 'shutting down');
    expect({ code, signal: shutdown?.signal }).to.deep.equal({ code: 0, signal: 'SIGTERM' });
  });

  it('merges --config over the built-in presets', async () => {
    const files = scratch();
    try {
      const config = files.file('clone-anywhere.yaml', 'drivers:\n  ebs.csi.aws.com:\n    clone: any\n');
      const server = await startServe(['--state', DEMO_STATE, '--config', config, '--listen', '127.0.0.1:0']);
      const reply = await http(`${server.url}/filter`, 'POST', demoRequest('filter-db-clone.json'));
      expect(JSON.parse(reply.body)).to.deep.equal({
        Nodes: null,
        NodeNames: [...REQUEST_ORDER],
        FailedNodes: {},
        FailedAndUnresolvableNodes: {},
        Error: '',
      });
    } finally {
      files.cleanup();
    }
  });

  it('takes bodyLimit from --config: a larger body gets 413 with a JSON error, a smaller one an answer', async () => {
    const files = scratch();
    try {
      const config = files.file('small-bodies.yaml', 'bodyLimit: 2Ki\n');
      const server = await startServe(['--state', DEMO_STATE, '--config', config, '--listen', '127.0.0.1:0']);
      // 1295 bytes (NodeNames) and 8909 bytes (six full Nodes).
      const [small, large] = await Promise.all([
        http(`${server.url}/filter`, 'POST', demoRequest('filter-db-clone.json')),
        http(`${server.url}/filter`, 'POST', demoRequest('filter-db-clone-nodes.json')),
      ]);
      expect({
        small: { status: small.status, passing: (JSON.parse(small.body) as { NodeNames: unknown }).NodeNames },
        large: { status: large.status, contentType: large.contentType, body: JSON.parse(large.body) },
      }).to.deep.equal({
        small: { status: 200, passing: ['node-a1', 'node-a2'] },
        large: {
          status: 413,
          contentType: 'application/json; charset=utf-8',
          body: { error: 'request body larger than bodyLimit (2048 bytes)' },
        },
      });
    } finally {
      files.cleanup();
    }
  });

  interface Case {
    readonly name: string;
    readonly args: readonly string[];
    readonly want: { readonly status: number; readonly firstLine: string };
  }
  const cases: Case[] = [
    {
      // Without --state serve watches the live cluster; with no credentials anywhere it must say
      // where it looked instead of hanging or crashing.
      name: 'without --state and without cluster credentials it exits non-zero and says what to pass',
      args: ['serve', '--listen', '127.0.0.1:0'],
      want: { status: 1, firstLine: NO_CREDENTIALS },
    },
    {
      name: 'an unreadable state path exits 1 naming it, before listening',
      args: ['serve', '--state', 'examples/demo/no-such-file.yaml', '--listen', '127.0.0.1:0'],
      want: {
        status: 1,
        firstLine:
          "source-affinity: examples/demo/no-such-file.yaml: cannot read: ENOENT: no such file or directory, stat 'examples/demo/no-such-file.yaml'",
      },
    },
    {
      name: 'a --listen port that cannot be bound is reported against the flags, before listening',
      args: ['serve', '--state', DEMO_STATE, '--listen', '127.0.0.1:99999'],
      want: { status: 1, firstLine: 'source-affinity: (flags): invalid configuration:' },
    },
    {
      name: 'an unknown flag is a usage error',
      args: ['serve', '--state', DEMO_STATE, '--port', '80'],
      want: { status: 2, firstLine: "source-affinity: Unknown option '--port'" },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const r = await runCli(tc.args);
      expect({ status: r.status, firstLine: r.stderr.split('\n')[0], stdout: r.stdout }).to.deep.equal({
        ...tc.want,
        stdout: '',
      });
    });
  }
});
