/**
 * `source-affinity explain` in a child process: the `-o json` document (schema and exact content for
 * the demo pods), the table for people, and exit statuses for every way its input can be wrong.
 */
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { ReasonCode } from '../../src/topology/reasons.js';
import { DEMO_STATE, killAll, NO_CREDENTIALS, runCli, scratch } from './support/cli.js';
import { CLONE_CACHE_MESSAGE, CLONE_DB_MESSAGE, STATE_ORDER, ZONE_A_SCORES } from './support/demo.js';

interface Row {
  readonly name: string;
  readonly fits: boolean;
  readonly score: number;
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
}

const fits = (name: string, score = 0): Row => ({ name, fits: true, score, reasons: [] });
const rejected = (name: string, score: number, code: ReasonCode, message: string): Row => ({
  name,
  fits: false,
  score,
  reasons: [{ code, message }],
});

/** The `-o json` document, as the issue specifies it. */
const explanationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['pod', 'nodes'],
  properties: {
    pod: { type: 'string', pattern: '^[^/]+/[^/]+$' },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'fits', 'score', 'reasons'],
        properties: {
          name: { type: 'string' },
          fits: { type: 'boolean' },
          score: { type: 'integer', minimum: 0, maximum: 10 },
          reasons: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['code', 'message'],
              properties: {
                code: { enum: Object.values(ReasonCode) },
                message: { type: 'string', minLength: 1, maxLength: 200 },
              },
            },
          },
        },
      },
    },
    notes: { type: 'array', minItems: 1, items: { type: 'string' } },
  },
};
const validateExplanation = new Ajv({ allErrors: true, strict: true }).compile(explanationSchema);

/** A state file that adds a pre-provisioned snapshot (no source known) and a pod restoring it. */
const IMPORTED_SNAPSHOT = `apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: imported-snap
  namespace: demo
spec:
  source:
    volumeSnapshotContentName: imported-content
status:
  boundVolumeSnapshotContentName: imported-content
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotContent
metadata:
  name: imported-content
spec:
  deletionPolicy: Retain
  driver: ebs.csi.aws.com
  source:
    snapshotHandle: snap-0123456789abcdef0
  volumeSnapshotRef:
    kind: VolumeSnapshot
    name: imported-snap
    namespace: demo
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: imported-restore
  namespace: demo
spec:
  storageClassName: ebs-wffc
  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: imported-snap
---
apiVersion: v1
kind: Pod
metadata:
  name: importer
  namespace: demo
spec:
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: imported-restore
`;

/** A pod (not in the state) using both demo clones: zone-a and node-b1 cannot both hold. */
const BOTH_CLONES_POD = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'both', namespace: 'demo' },
  spec: {
    volumes: [
      { name: 'db', persistentVolumeClaim: { claimName: 'db-data-clone' } },
      { name: 'cache', persistentVolumeClaim: { claimName: 'cache-clone' } },
    ],
  },
});

describe('explain -o json', () => {
  const files = scratch();
  const extraState = files.file('imported.yaml', IMPORTED_SNAPSHOT);
  const bothPod = files.file('both.json', BOTH_CLONES_POD);
  const cloneAnywhere = files.file('clone-anywhere.yaml', 'drivers:\n  ebs.csi.aws.com:\n    clone: any\n');
  after(async () => {
    await killAll();
    files.cleanup();
  });

  interface Case {
    readonly name: string;
    readonly args: readonly string[];
    readonly want: unknown;
  }
  const cases: Case[] = [
    {
      name: 'zone-A clone: zone-A nodes fit, the others fail with the clone source topology',
      args: ['--pod', 'demo/db-clone'],
      want: {
        pod: 'demo/db-clone',
        nodes: STATE_ORDER.map((n) =>
          n.startsWith('node-a')
            ? fits(n, ZONE_A_SCORES[n])
            : rejected(n, ZONE_A_SCORES[n], ReasonCode.CloneSourceTopology, CLONE_DB_MESSAGE),
        ),
      },
    },
    {
      name: 'regional restore: every node fits, zone-A scores highest',
      args: ['--pod', 'demo/db-restore'],
      want: { pod: 'demo/db-restore', nodes: STATE_ORDER.map((n) => fits(n, ZONE_A_SCORES[n])) },
    },
    {
      name: 'no claims: every node fits with score 0',
      args: ['--pod', 'demo/web'],
      want: { pod: 'demo/web', nodes: STATE_ORDER.map((n) => fits(n)) },
    },
    {
      name: 'node-local clone: only the source node fits; a driver-specific key gives no closeness',
      args: ['--pod', 'demo/cache-warm'],
      want: {
        pod: 'demo/cache-warm',
        nodes: STATE_ORDER.map((n) =>
          n === 'node-b1' ? fits(n) : rejected(n, 0, ReasonCode.CloneSourceTopology, CLONE_CACHE_MESSAGE),
        ),
      },
    },
    {
      name: '--config: a driver that can clone anywhere lets every node fit, still preferring the source zone',
      args: ['--config', cloneAnywhere, '--pod', 'demo/db-clone'],
      want: {
        pod: 'demo/db-clone',
        nodes: STATE_ORDER.map((n) => fits(n, ZONE_A_SCORES[n])),
        notes: [
          'clone pvc "demo/db-data-clone": driver "ebs.csi.aws.com" can clone anywhere (scope any): ' +
            'not constrained by pvc "demo/db-data"',
        ],
      },
    },
    {
      name: '--nodes: listed nodes in the given order; an unknown node fails a constrained pod',
      args: ['--pod', 'demo/db-clone', '--nodes', 'node-c2, node-a2,node-zz'],
      want: {
        pod: 'demo/db-clone',
        nodes: [
          rejected('node-c2', 3, ReasonCode.CloneSourceTopology, CLONE_DB_MESSAGE),
          fits('node-a2', 6),
          rejected('node-zz', 0, ReasonCode.NodeNotKnown, 'node "node-zz" is not in the cluster state'),
        ],
      },
    },
    {
      name: '--nodes: an unknown node passes a pod that takes the fast path',
      args: ['--pod', 'demo/web', '--nodes', 'node-zz,node-c2'],
      want: { pod: 'demo/web', nodes: [fits('node-zz'), fits('node-c2')] },
    },
    {
      name: '--pod-file: claims in different places mean no node fits, and a note says so',
      args: ['--pod-file', bothPod, '--nodes', 'node-b1,node-a1'],
      want: {
        pod: 'demo/both',
        nodes: [
          rejected('node-b1', 3, ReasonCode.CloneSourceTopology, CLONE_DB_MESSAGE),
          rejected('node-a1', 6, ReasonCode.CloneSourceTopology, CLONE_CACHE_MESSAGE),
        ],
        notes: ['no node fits: every node fails at least one claim (see the reasons per node)'],
      },
    },
    {
      name: 'repeated --state: a restore whose source location is unknown is not constrained, with a note',
      args: ['--state', extraState, '--pod', 'demo/importer', '--nodes', 'node-a1,node-c1'],
      want: {
        pod: 'demo/importer',
        nodes: [fits('node-a1'), fits('node-c1')],
        notes: [
          'restore pvc "demo/imported-restore": restore source volumesnapshot "demo/imported-snap" location unknown ' +
            '(no content nodeAffinity, source volume or managed-by node): not constrained',
        ],
      },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const r = await runCli(['explain', '--state', DEMO_STATE, ...tc.args, '-o', 'json']);
      const doc: unknown = JSON.parse(r.stdout);
      expect({
        status: r.status,
        stderr: r.stderr,
        schemaErrors: validateExplanation(doc) ? [] : validateExplanation.errors,
        doc,
      }).to.deep.equal({ status: 0, stderr: '', schemaErrors: [], doc: tc.want });
    });
  }

  it('prints exactly one JSON document on one line', async () => {
    const r = await runCli(['explain', '--state', DEMO_STATE, '--pod', 'demo/db-clone', '-o', 'json']);
    expect(r.stdout.split('\n')).to.have.length(2).and.to.have.property('1', '');
  });
});

describe('explain table output', () => {
  after(killAll);

  const dbReason = `CloneSourceTopology: ${CLONE_DB_MESSAGE}`;
  const cacheReason = `CloneSourceTopology: ${CLONE_CACHE_MESSAGE}`;
  const cases: { name: string; args: readonly string[]; want: string }[] = [
    {
      name: 'aligned columns, one row per node, reasons with their codes',
      args: ['--pod', 'demo/db-clone'],
      want: [
        'pod demo/db-clone',
        'NODE     FITS  SCORE  REASONS',
        'node-a1  yes   6',
        'node-a2  yes   6',
        `node-b1  no    3      ${dbReason}`,
        `node-b2  no    3      ${dbReason}`,
        `node-c1  no    3      ${dbReason}`,
        `node-c2  no    3      ${dbReason}`,
        '',
      ].join('\n'),
    },
    {
      name: 'columns widen to the longest node name',
      args: ['--pod', 'demo/cache-warm', '--nodes', 'node-b1,a-much-longer-node-name'],
      want: [
        'pod demo/cache-warm',
        'NODE                     FITS  SCORE  REASONS',
        'node-b1                  yes   0',
        'a-much-longer-node-name  no    0      NodeNotKnown: node "a-much-longer-node-name" is not in the cluster state',
        '',
      ].join('\n'),
    },
    {
      name: 'notes follow the rows',
      args: ['--pod', 'demo/cache-warm', '--nodes', 'node-a1'],
      want: [
        'pod demo/cache-warm',
        'NODE     FITS  SCORE  REASONS',
        `node-a1  no    0      ${cacheReason}`,
        'note: no node fits: every node fails at least one claim (see the reasons per node)',
        '',
      ].join('\n'),
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const r = await runCli(['explain', '--state', DEMO_STATE, ...tc.args]);
      expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).to.deep.equal({
        status: 0,
        stderr: '',
        stdout: tc.want,
      });
    });
  }
});

describe('exit statuses and messages', () => {
  const files = scratch();
  const badYaml = files.file('bad.yaml', 'kind: Node\nmetadata:\n  name: n1\n labels: x\n');
  const badJson = files.file('bad.json', '{\n  "kind": "Node",\n  "metadata": {"name": "n1",}\n}\n');
  const noPod = files.file('no-pod.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
  const missing = `${files.dir}/missing.yaml`;
  const badConfig = files.file('bad-config.yaml', 'drivers:\n  ebs.csi.aws.com:\n    clone: zonal\n');
  after(async () => {
    await killAll();
    files.cleanup();
  });

  interface Case {
    readonly name: string;
    readonly args: readonly string[];
    /**
     * Exit status and the first line of stderr (usage errors append the usage text). Where the
     * line ends with a parser's own wording, `firstLine` is the part this project writes, up to it.
     */
    readonly want: { readonly status: number; readonly firstLine: string };
    readonly parserDetail?: true;
  }
  const usage = (message: string) => ({ status: 2, firstLine: `source-affinity: ${message}` });
  const failure = (message: string) => ({ status: 1, firstLine: `source-affinity: ${message}` });
  const cases: Case[] = [
    { name: 'no command', args: [], want: usage('no command given') },
    { name: 'unknown command', args: ['frobnicate'], want: usage('unknown command "frobnicate"') },
    {
      name: 'explain without a pod',
      args: ['explain', '--state', DEMO_STATE],
      want: usage('explain needs exactly one of --pod NAMESPACE/NAME or --pod-file FILE'),
    },
    {
      name: 'explain with both --pod and --pod-file',
      args: ['explain', '--state', DEMO_STATE, '--pod', 'demo/web', '--pod-file', noPod],
      want: usage('explain needs exactly one of --pod NAMESPACE/NAME or --pod-file FILE'),
    },
    {
      name: 'explain without --state and without cluster credentials',
      args: ['explain', '--pod', 'demo/web'],
      want: { status: 1, firstLine: NO_CREDENTIALS },
    },
    {
      name: 'explain with an unknown output format',
      args: ['explain', '--state', DEMO_STATE, '--pod', 'demo/web', '-o', 'yaml'],
      want: usage('-o must be table or json'),
    },
    {
      name: 'explain --pod without a namespace',
      args: ['explain', '--state', DEMO_STATE, '--pod', 'web'],
      want: usage('--pod must be NAMESPACE/NAME, got "web"'),
    },
    {
      name: 'explain with an unknown flag',
      args: ['explain', '--state', DEMO_STATE, '--pod', 'demo/web', '--verbose'],
      want: usage("Unknown option '--verbose'"),
    },
    {
      name: 'a pod that is not in the state',
      args: ['explain', '--state', DEMO_STATE, '--pod', 'demo/nope'],
      want: failure(`pod "demo/nope" is not in the state (${DEMO_STATE})`),
    },
    {
      name: 'an unreadable state path',
      args: ['explain', '--state', missing, '--pod', 'demo/web'],
      want: failure(`${missing}: cannot read: ENOENT: no such file or directory, stat '${missing}'`),
    },
    {
      name: 'invalid YAML names the file and the line',
      args: ['explain', '--state', DEMO_STATE, '--state', badYaml, '--pod', 'demo/web'],
      want: failure(`${badYaml}:4: invalid YAML: `),
      parserDetail: true,
    },
    {
      name: 'invalid JSON names the file and the line',
      args: ['explain', '--state', badJson, '--pod', 'demo/web'],
      want: failure(`${badJson}:3: invalid JSON: `),
      parserDetail: true,
    },
    {
      name: 'a pod file without a Pod',
      args: ['explain', '--state', DEMO_STATE, '--pod-file', noPod],
      want: failure(`${noPod}: no Pod object in the file`),
    },
    {
      name: 'an invalid --config file',
      args: ['explain', '--state', DEMO_STATE, '--config', badConfig, '--pod', 'demo/web'],
      want: failure(`${badConfig}: invalid configuration:`),
    },
    {
      name: 'check-config without a file',
      args: ['check-config'],
      want: usage('check-config needs exactly one FILE'),
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const r = await runCli(tc.args);
      const line = r.stderr.split('\n')[0] ?? '';
      const firstLine = tc.parserDetail ? line.slice(0, tc.want.firstLine.length) : line;
      expect({ status: r.status, firstLine, stdout: r.stdout }).to.deep.equal({ ...tc.want, stdout: '' });
    });
  }

  it('--help prints the usage with every command on stdout and exits 0', async () => {
    const r = await runCli(['--help']);
    const commands = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('  source-affinity '))
      .map((l) => l.split(' ')[3]);
    expect({ status: r.status, stderr: r.stderr, commands }).to.deep.equal({
      status: 0,
      stderr: '',
      commands: ['serve', 'explain', 'check-config'],
    });
  });
});
