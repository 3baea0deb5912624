/**
 * The static state (`--state PATH`): parsing files as `kubectl get -o yaml|json` writes them,
 * loading files and directories into the store, and what the store answers.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { loadState, parseStateText, StateError, type StaticStore } from '../../src/cluster/static.js';
import type { KubeObject } from '../../src/cluster/types.js';
import {
  makeClass,
  makeContent,
  makeGrant,
  makeNode,
  makePod,
  makePV,
  makePVC,
  makeSnapshot,
} from '../support/builders.js';

/** Multi-document YAML of `objects`, the way `kubectl get -o yaml` separates them. */
const yamlDocs = (...objects: readonly object[]) => objects.map((o) => `---\n${stringify(o)}`).join('');

/** The message of the StateError `fn` throws; fails the test when it throws anything else or nothing. */
function stateErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StateError) return err.message;
    throw err;
  }
  throw new Error('expected a StateError');
}

describe('static state', () => {
  const root = mkdtempSync(join(tmpdir(), 'source-affinity-static-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  let dirs = 0;
  /** A fresh directory holding `files` (relative path → text); returns its path. */
  function tree(files: Readonly<Record<string, string>>): string {
    const dir = join(root, `case-${++dirs}`);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  describe('parseStateText: the objects in one file', () => {
    const n1 = makeNode('n1').zone('zone-a').obj();
    const n2 = makeNode('n2').zone('zone-b').obj();
    const pv = makePV('pv-1').zone('zone-a').obj();
    const cases: { name: string; file: string; text: string; want: readonly unknown[] }[] = [
      { name: 'multi-document YAML, in order', file: 's.yaml', text: yamlDocs(n1, pv, n2), want: [n1, pv, n2] },
      {
        name: 'empty documents, comments and a document end marker are skipped',
        file: 's.yaml',
        text: `# state\n---\n---\n${stringify(n1)}...\n---\n# nothing\n`,
        want: [n1],
      },
      { name: 'an empty file', file: 's.yaml', text: '', want: [] },
      {
        name: 'kind: List (kubectl get -o yaml of several kinds) is flattened',
        file: 's.yaml',
        text: stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [n1, pv] }),
        want: [n1, pv],
      },
      {
        name: 'a List among other documents',
        file: 's.yaml',
        text: yamlDocs(n2, { apiVersion: 'v1', kind: 'List', items: [n1] }, pv),
        want: [n2, n1, pv],
      },
      {
        name: 'items of a typed list (as the API server returns it) take the list kind',
        file: 's.yaml',
        text: stringify({ apiVersion: 'v1', kind: 'NodeList', items: [{ metadata: { name: 'n1' } }] }),
        want: [{ kind: 'Node', metadata: { name: 'n1' } }],
      },
      {
        name: 'items of a kind: v1.List without their own kind stay kindless (ignored later)',
        file: 's.yaml',
        text: stringify({ apiVersion: 'v1', kind: 'v1.List', items: [{ metadata: { name: 'n1' } }] }),
        want: [{ metadata: { name: 'n1' } }],
      },
      { name: 'a JSON object', file: 's.json', text: JSON.stringify(pv, null, 2), want: [pv] },
      {
        name: 'a JSON List (kubectl get -o json)',
        file: 's.json',
        text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [n1, n2] }),
        want: [n1, n2],
      },
      { name: '.yml is YAML', file: 's.yml', text: yamlDocs(n1), want: [n1] },
      {
        name: 'YAML anchors and aliases resolve',
        file: 's.yaml',
        text: 'kind: Node\nmetadata:\n  name: n1\n  labels: &l {a: b}\n  annotations: *l\n',
        want: [{ kind: 'Node', metadata: { name: 'n1', labels: { a: 'b' }, annotations: { a: 'b' } } }],
      },
      {
        name: 'a key given twice: the last one wins',
        file: 's.yaml',
        text: 'kind: Node\nmetadata:\n  name: first\n  name: second\n',
        want: [{ kind: 'Node', metadata: { name: 'second' } }],
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => expect(parseStateText(tc.file, tc.text)).to.deep.equal(tc.want));
    }
  });

  describe('parseStateText: unusable files are StateErrors naming the file and the line', () => {
    // `want` is the part of the message this project writes; the parser's own words follow it.
    const cases: { name: string; file: string; text: string; want: string }[] = [
      {
        name: 'a YAML syntax error',
        file: 'state/bad.yaml',
        text: 'kind: Node\nmetadata:\n  name: n1\n labels: x\n',
        want: 'state/bad.yaml:4: invalid YAML: ',
      },
      {
        name: 'a YAML syntax error in a later document: the line counts from the top of the file',
        file: 'bad.yaml',
        text: ['kind: Node', 'metadata:', '  name: n1', '---', 'kind: Node', 'metadata:', '\tname: n2', ''].join('\n'),
        want: 'bad.yaml:7: invalid YAML: Tabs are not allowed as indentation',
      },
      {
        name: 'an alias to an anchor that does not exist: the line of its document',
        file: 'bad.yaml',
        text: 'kind: Node\nmetadata: {name: n1}\n---\nkind: Node\nmetadata: *nowhere\n',
        want: 'bad.yaml:3: invalid YAML: Unresolved alias',
      },
      {
        name: 'an alias bomb is refused, not expanded',
        file: 'bomb.yaml',
        text: [
          'kind: Node',
          'a: &a [x, x, x, x, x, x, x, x, x, x]',
          'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
          'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
          'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
          'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
          '',
        ].join('\n'),
        want: 'bomb.yaml:1: invalid YAML: Excessive alias count',
      },
      {
        name: 'a JSON syntax error',
        file: 'bad.json',
        text: '{\n  "kind": "Node",\n  "metadata": {"name": "n1",}\n}\n',
        want: 'bad.json:3: invalid JSON: ',
      },
      {
        name: 'a truncated JSON document: the line where it ends',
        file: 'cut.json',
        text: '{\n  "kind": "Node",\n  "metadata": {"name": "n1"',
        want: 'cut.json:3: invalid JSON: ',
      },
      {
        name: 'a YAML document that is a list, not an object',
        file: 'list.yaml',
        text: '- kind: Node\n',
        want: 'list.yaml: expected Kubernetes objects, found a list',
      },
      {
        name: 'a YAML document that is a scalar',
        file: 'scalar.yaml',
        text: 'hello\n',
        want: 'scalar.yaml: expected Kubernetes objects, found string',
      },
      {
        name: 'a JSON array',
        file: 'array.json',
        text: '[{"kind": "Node"}]',
        want: 'array.json: expected Kubernetes objects, found a list',
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const message = stateErrorOf(() => parseStateText(tc.file, tc.text));
        expect(message.slice(0, tc.want.length)).to.equal(tc.want);
      });
    }
  });

  describe('loadState: files and directories', () => {
    /** Nodes in store order, each with the `origin` label saying which file it came from. */
    const nodes = (store: StaticStore) =>
      store.listNodes().map((n) => `${n.metadata?.name}@${n.metadata?.labels?.origin}`);
    const node = (name: string, origin: string) => makeNode(name).noLabels().label('origin', origin).obj();

    interface Case {
      readonly name: string;
      readonly files: Readonly<Record<string, string>>;
      /** `--state` paths, relative to the case's directory ('.' is the directory itself). */
      readonly paths: readonly string[];
      readonly want: {
        readonly nodes: readonly string[];
        readonly loaded: number;
        readonly ignored: readonly string[];
      };
    }
    const cases: Case[] = [
      {
        name: 'a single file',
        files: { 'state.yaml': yamlDocs(node('n1', 'state'), node('n2', 'state')) },
        paths: ['state.yaml'],
        want: { nodes: ['n1@state', 'n2@state'], loaded: 2, ignored: [] },
      },
      {
        name: 'a directory: recursively, in name order, YAML and JSON only',
        files: {
          '20-b.yaml': yamlDocs(node('n3', '20-b')),
          '10-a.json': JSON.stringify(node('n1', '10-a')),
          '15-sub/x.yml': yamlDocs(node('n2', '15-sub/x')),
          'README.md': '# not state\n',
          'notes.txt': 'kind: Node\n',
        },
        paths: ['.'],
        want: { nodes: ['n1@10-a', 'n2@15-sub/x', 'n3@20-b'], loaded: 3, ignored: [] },
      },
      {
        name: 'a later object replaces an earlier one of the same kind and name (keeping its place)',
        files: {
          'a.yaml': yamlDocs(node('n1', 'a'), node('n2', 'a')),
          'b.yaml': yamlDocs(node('n1', 'b')),
        },
        paths: ['.'],
        want: { nodes: ['n1@b', 'n2@a'], loaded: 3, ignored: [] },
      },
      {
        name: 'repeated paths load in the order given',
        files: { 'a.yaml': yamlDocs(node('n1', 'a')), 'b.yaml': yamlDocs(node('n1', 'b')) },
        paths: ['b.yaml', 'a.yaml'],
        want: { nodes: ['n1@a'], loaded: 2, ignored: [] },
      },
      {
        name: 'kinds the engine does not use, and objects without a name or kind, are ignored and reported',
        files: {
          'state.yaml': yamlDocs(
            { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: 'snap' } },
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'db' } },
            { apiVersion: 'v1', kind: 'Node', metadata: { labels: { a: 'b' } } },
            { apiVersion: 'v1', kind: 'Node', metadata: { name: '' } },
            { apiVersion: 'v1', metadata: { name: 'kindless' } },
            node('n1', 'state'),
          ),
        },
        paths: ['state.yaml'],
        want: {
          nodes: ['n1@state'],
          loaded: 1,
          ignored: [
            'state.yaml: VolumeSnapshotClass snap',
            'state.yaml: Namespace db',
            'state.yaml: Node (no name)',
            'state.yaml: Node ',
            'state.yaml: (no kind) kindless',
          ],
        },
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const dir = tree(tc.files);
        const { store, report } = loadState(tc.paths.map((p) => join(dir, p)));
        expect({
          nodes: nodes(store),
          loaded: report.loaded,
          ignored: report.ignored.map((line) => line.slice(dir.length + 1)),
        }).to.deep.equal(tc.want);
      });
    }

    it('an invalid file anywhere in a directory fails the whole load, naming the file and line', () => {
      const dir = tree({ 'a.yaml': yamlDocs(node('n1', 'a')), 'sub/b.yaml': 'kind: Node\nmetadata: [\n' });
      expect(stateErrorOf(() => loadState([dir])).slice(0, `${dir}/sub/b.yaml:3: invalid YAML`.length)).to.equal(
        `${dir}/sub/b.yaml:3: invalid YAML`,
      );
    });

    it('a dangling symlink that could be a state file fails the load, naming it', () => {
      const dir = tree({ 'a.yaml': yamlDocs(node('n1', 'a')) });
      symlinkSync(join(dir, 'gone.yaml'), join(dir, 'b.yaml'));
      expect(stateErrorOf(() => loadState([dir]))).to.equal(
        `${dir}/b.yaml: cannot read: ENOENT: no such file or directory, stat '${dir}/b.yaml'`,
      );
    });

    it('a dangling symlink that is not a state file is passed over like any other file', () => {
      const dir = tree({ 'a.yaml': yamlDocs(node('n1', 'a')) });
      symlinkSync(join(dir, 'gone.md'), join(dir, 'NOTES.md'));
      expect(nodes(loadState([dir]).store)).to.deep.equal(['n1@a']);
    });

    it('a directory symlink loop is read once', () => {
      const dir = tree({ 'a.yaml': yamlDocs(node('n1', 'a')), 'sub/b.yaml': yamlDocs(node('n2', 'sub/b')) });
      symlinkSync(dir, join(dir, 'sub', 'up'));
      const { store, report } = loadState([dir]);
      expect({ nodes: nodes(store), loaded: report.loaded }).to.deep.equal({ nodes: ['n1@a', 'n2@sub/b'], loaded: 2 });
    });

    it('a path that does not exist', () => {
      const missing = join(root, 'missing.yaml');
      expect(stateErrorOf(() => loadState([missing]))).to.equal(
        `${missing}: cannot read: ENOENT: no such file or directory, stat '${missing}'`,
      );
    });
  });

  describe('the store: lookups by kind, namespace and name', () => {
    const objects: readonly KubeObject[] = [
      {
        ...makeNode('n1').zone('zone-a').obj(),
        status: { images: [{ names: ['registry.example.com/app:v1'], sizeBytes: 1 }] },
      } as KubeObject,
      makePV('pv-a').zone('zone-a').csi('ebs.csi.aws.com', 'vol-1').boundTo('db/data').obj(),
      makePV('pv-b').csi('topolvm.io', 'vol-1').obj(),
      makePVC('db/data').boundTo('pv-a').obj(),
      makePVC('copy').class('wffc').cloneOf('data').obj(),
      makeClass('wffc').driver('ebs.csi.aws.com').obj(),
      makeSnapshot('db/snap').ofClaim('data').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('ebs.csi.aws.com', 'vol-1').obj(),
      makeGrant('db/g1').fromClaimsIn('app').toClaims().obj(),
      makeGrant('db/g2').fromClaimsIn('web').toSnapshots().obj(),
      makePod('db/p').claim('data').obj(),
    ];
    const store = (() => {
      const dir = tree({ 'state.yaml': yamlDocs(...objects) });
      return loadState([join(dir, 'state.yaml')]).store;
    })();
    const name = (o: KubeObject | undefined) => o?.metadata?.name;

    const cases: { name: string; got: () => unknown; want: unknown }[] = [
      { name: 'node by name', got: () => name(store.getNode('n1')), want: 'n1' },
      {
        // Only its name and labels are read: the rest (status above all) is not kept, as in the live store.
        name: 'a node keeps its metadata and labels, not its status',
        got: () => store.getNode('n1'),
        want: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'topology.kubernetes.io/zone': 'zone-a' } },
        },
      },
      { name: 'unknown node', got: () => store.getNode('n9'), want: undefined },
      { name: 'PV by name', got: () => name(store.getPersistentVolume('pv-a')), want: 'pv-a' },
      {
        name: 'PVC by namespace and name',
        got: () => name(store.getPersistentVolumeClaim('db', 'data')),
        want: 'data',
      },
      {
        name: 'a PVC in another namespace is another PVC',
        got: () => store.getPersistentVolumeClaim('app', 'data'),
        want: undefined,
      },
      {
        name: 'a namespaced object without a namespace is in "default"',
        got: () => name(store.getPersistentVolumeClaim('default', 'copy')),
        want: 'copy',
      },
      { name: 'storage class by name', got: () => name(store.getStorageClass('wffc')), want: 'wffc' },
      { name: 'snapshot by namespace and name', got: () => name(store.getVolumeSnapshot('db', 'snap')), want: 'snap' },
      {
        name: 'snapshot content by name',
        got: () => name(store.getVolumeSnapshotContent('content-1')),
        want: 'content-1',
      },
      { name: 'pod by namespace and name', got: () => name(store.getPod('db', 'p')), want: 'p' },
      {
        name: 'grants of a namespace, in order',
        got: () => store.listReferenceGrants('db').map(name),
        want: ['g1', 'g2'],
      },
      { name: 'no grants in a namespace', got: () => store.listReferenceGrants('app'), want: [] },
      {
        name: 'PV by CSI driver and volume handle',
        got: () => name(store.findPersistentVolumeByHandle('ebs.csi.aws.com', 'vol-1')),
        want: 'pv-a',
      },
      {
        name: 'the same handle under another driver is another volume',
        got: () => name(store.findPersistentVolumeByHandle('topolvm.io', 'vol-1')),
        want: 'pv-b',
      },
      {
        name: 'an unknown handle',
        got: () => store.findPersistentVolumeByHandle('ebs.csi.aws.com', 'vol-9'),
        want: undefined,
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => expect(tc.got()).to.deep.equal(tc.want));
    }
  });

  describe('the store: replacing objects', () => {
    const load = (...objects: readonly KubeObject[]) => {
      const dir = tree({ 'state.yaml': yamlDocs(...objects) });
      return loadState([join(dir, 'state.yaml')]).store;
    };

    it('a replaced PV is found by its new handle only', () => {
      const store = load(makePV('pv-a').csi('d', 'old').obj(), makePV('pv-a').csi('d', 'new').label('v', '2').obj());
      expect({
        old: store.findPersistentVolumeByHandle('d', 'old'),
        new: store.findPersistentVolumeByHandle('d', 'new')?.metadata?.labels,
      }).to.deep.equal({ old: undefined, new: { v: '2' } });
    });

    it('a PV replaced by one without CSI leaves no handle behind', () => {
      const store = load(makePV('pv-a').csi('d', 'h').obj(), makePV('pv-a').zone('zone-a').obj());
      expect(store.findPersistentVolumeByHandle('d', 'h')).to.equal(undefined);
    });

    it('a ReferenceGrant of the same name replaces the earlier one instead of adding a second', () => {
      const store = load(
        makeGrant('db/g').fromClaimsIn('app').toClaims().obj(),
        makeGrant('db/other').fromClaimsIn('web').toClaims().obj(),
        makeGrant('db/g').fromClaimsIn('ops').toClaims().obj(),
      );
      expect(
        // Which grant is listed first does not matter to any decision: compare sorted by name.
        store
          .listReferenceGrants('db')
          .map((g) => ({ name: g.metadata?.name ?? '', from: g.spec?.from?.map((f) => f.namespace) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      ).to.deep.equal([
        { name: 'g', from: ['ops'] },
        { name: 'other', from: ['web'] },
      ]);
    });
  });
});
