/**
 * The bundled demo stays coherent: every example request is shaped as kube-scheduler sends it and
 * carries the pod and nodes of `examples/demo/cluster.yaml`, so curl against `npm start` means
 * what the comments in the state say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { loadState } from '../../src/cluster/static.js';
import { DEMO_STATE, demoRequest, REPO } from './support/cli.js';
import { REQUEST_ORDER, STATE_ORDER } from './support/demo.js';

/** An object as kube-scheduler's informers hold it: no apiVersion/kind. */
function withoutTypeMeta(o: object | undefined): object | undefined {
  if (o === undefined) return undefined;
  const { apiVersion: _a, kind: _k, ...rest } = o as { apiVersion?: unknown; kind?: unknown };
  return rest;
}

describe('the demo state and its example requests', () => {
  const { store, report } = loadState([join(REPO, DEMO_STATE)]);
  // The nodes as written in the state (the store keeps only what decisions read of a node).
  const stateNodes = new Map(
    parseAllDocuments(readFileSync(join(REPO, DEMO_STATE), 'utf8'))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((o) => o?.kind === 'Node')
      .map((o) => [o?.metadata?.name, o]),
  );
  const files = readdirSync(join(REPO, 'examples/demo/requests')).sort();

  it('loads every object, ignoring only the VolumeSnapshotClass', () => {
    expect({
      nodes: store.listNodes().map((n) => n.metadata?.name),
      ignored: report.ignored.map((l) => l.slice(l.indexOf(': ') + 2)),
    }).to.deep.equal({ nodes: [...STATE_ORDER], ignored: ['VolumeSnapshotClass ebs-snapclass'] });
  });

  it('ships a filter and a prioritize body for each pod with claims, and a filter body for the pod without', () => {
    expect(files).to.deep.equal([
      'filter-cache-warm.json',
      'filter-db-clone-nodes.json',
      'filter-db-clone.json',
      'filter-db-restore.json',
      'filter-web.json',
      'prioritize-cache-warm.json',
      'prioritize-db-clone-nodes.json',
      'prioritize-db-clone.json',
      'prioritize-db-restore.json',
    ]);
  });

  for (const file of files) {
    it(`${file}: compact ExtenderArgs with the state's pod and nodes`, () => {
      const text = demoRequest(file);
      const body = JSON.parse(text) as {
        Pod: { metadata: { namespace: string; name: string } };
        Nodes: { metadata: object; items: { metadata: { name: string } }[] } | null;
        NodeNames: string[] | null;
      };
      const { namespace, name } = body.Pod.metadata;
      const names = body.NodeNames ?? body.Nodes?.items.map((n) => n.metadata.name) ?? [];
      expect({
        compact: text === JSON.stringify(body),
        keys: Object.keys(body),
        pod: body.Pod,
        names,
        nodes: body.Nodes?.items ?? null,
      }).to.deep.equal({
        compact: true,
        keys: ['Pod', 'Nodes', 'NodeNames'],
        pod: withoutTypeMeta(store.getPod(namespace, name)),
        names: [...REQUEST_ORDER],
        nodes: body.Nodes === null ? null : REQUEST_ORDER.map((n) => withoutTypeMeta(stateNodes.get(n) ?? undefined)),
      });
    });
  }

  it('prioritize bodies are byte-identical to the filter bodies of the same cycle, as kube-scheduler sends them', () => {
    const pairs = files
      .filter((f) => f.startsWith('prioritize-'))
      .map((f) => ({ file: f, same: demoRequest(f) === demoRequest(f.replace(/^prioritize-/, 'filter-')) }));
    expect(pairs.filter((p) => !p.same)).to.deep.equal([]);
  });
});
