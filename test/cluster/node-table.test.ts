import { expect } from 'chai';
import fc from 'fast-check';
import { NodeTable } from '../../src/cluster/node-table.js';
import { KeySet } from '../../src/cluster/nodes.js';
import type { Node } from '../../src/cluster/types.js';
import { decodeArgs } from '../../src/extender/decode.js';
import { makeNode } from '../support/builders.js';

const ZONE = 'topology.kubernetes.io/zone';

/**
 * What a table must say about each name, from a plain Map holding the same nodes. A name a request
 * can write without escapes must be found by its bytes too (inside a larger buffer, at an offset),
 * at the same index, and `findAll` over a request's list must say what `find` says of each name.
 */
function observe(table: NodeTable, names: readonly string[]) {
  // As one request's list, and as a list of its ASCII names alone (found by their bytes; one
  // other character anywhere makes `findAll` take every name of a list as a string).
  for (const list of [names, names.filter((n) => [...n].every((c) => c.charCodeAt(0) < 0x80))]) {
    const args = decodeArgs(JSON.stringify({ Pod: {}, NodeNames: list }));
    if (args.mode !== 'names') throw new Error('expected a NodeNames body');
    const found = new Int32Array(list.length + 1).fill(-2);
    table.findAll(args.names, found);
    expect([...found], `findAll ${JSON.stringify(list)}`).to.deep.equal([...list.map((n) => table.find(n)), -2]);
  }
  return names.map((name) => {
    const i = table.find(name);
    return i < 0 ? { name, found: false } : { name, found: true, node: table.entry(i).node };
  });
}

function expected(model: ReadonlyMap<string, Node>, names: readonly string[]) {
  return names.map((name) => {
    const node = model.get(name);
    return node === undefined ? { name, found: false } : { name, found: true, node };
  });
}

describe('NodeTable: a name index over contiguous name bytes', () => {
  const a1 = makeNode('a1').zone('zone-a').obj();
  const a1b = makeNode('a1').zone('zone-b').obj();
  const cases: {
    name: string;
    ops: readonly (['set', string, Node] | ['delete', string])[];
    ask: readonly string[];
    want: { size: number; found: Record<string, boolean> };
  }[] = [
    {
      name: 'a set node is found, another is not',
      ops: [['set', 'a1', a1]],
      ask: ['a1', 'a2', 'a', 'a11', ''],
      want: { size: 1, found: { a1: true, a2: false, a: false, a11: false, '': false } },
    },
    {
      name: 'a replaced node is found once, with its new object',
      ops: [
        ['set', 'a1', a1],
        ['set', 'a1', a1b],
      ],
      ask: ['a1'],
      want: { size: 1, found: { a1: true } },
    },
    {
      name: 'a deleted node is gone, and can come back',
      ops: [
        ['set', 'a1', a1],
        ['set', 'b1', a1],
        ['delete', 'a1'],
      ],
      ask: ['a1', 'b1'],
      want: { size: 1, found: { a1: false, b1: true } },
    },
    {
      // The table's hash gives both names 359666788: the name itself must decide.
      name: 'names with the same hash are told apart',
      ops: [['set', 'node-19791', a1]],
      ask: ['node-19791', 'node-1736004'],
      want: { size: 1, found: { 'node-19791': true, 'node-1736004': false } },
    },
    {
      name: 'names with the same hash live side by side, and one can go',
      ops: [
        ['set', 'node-19791', a1],
        ['set', 'node-1736004', a1b],
        ['delete', 'node-19791'],
      ],
      ask: ['node-19791', 'node-1736004'],
      want: { size: 1, found: { 'node-19791': false, 'node-1736004': true } },
    },
    {
      name: 'names that need escapes in JSON, or are not ASCII, are found',
      ops: [
        ['set', 'qu"ote', a1],
        ['set', 'nöde', a1],
        ['set', 'back\\slash', a1],
      ],
      ask: ['qu"ote', 'nöde', 'back\\slash', 'node'],
      want: { size: 3, found: { 'qu"ote': true, nöde: true, 'back\\slash': true, node: false } },
    },
    {
      // DEL is ASCII and may stand unescaped in a request (JSON escapes only control characters).
      name: 'a name with DEL is found by its bytes',
      ops: [['set', 'del\x7fete', a1]],
      ask: ['del\x7fete', 'del\x7fetf'],
      want: { size: 1, found: { 'del\x7fete': true, 'del\x7fetf': false } },
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const table = new NodeTable();
      const model = new Map<string, Node>();
      for (const op of tc.ops) {
        if (op[0] === 'set') {
          table.set(op[1], op[2]);
          model.set(op[1], op[2]);
        } else {
          table.delete(op[1]);
          model.delete(op[1]);
        }
      }
      expect({ observed: observe(table, tc.ask), size: table.size }).to.deep.equal({
        observed: expected(model, tc.ask),
        size: tc.want.size,
      });
      expect(Object.fromEntries(tc.ask.map((n) => [n, table.find(n) >= 0]))).to.deep.equal(tc.want.found);
    });
  }

  it('agrees with a Map through any sequence of sets and deletes (growth, rehashing, compaction)', () => {
    const name = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map((i) => `ip-10-0-${i}.ec2.internal`),
      fc.string({ maxLength: 6 }),
      // Long enough that the hash skips a middle part; a name's bytes must hash as its string does.
      fc.string({ minLength: 30, maxLength: 60, unit: fc.constantFrom(...'ab-.01') }),
    );
    const op = fc.tuple(fc.boolean(), name, fc.constantFrom('zone-a', 'zone-b'));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const table = new NodeTable();
        const model = new Map<string, Node>();
        for (const [isSet, n, zone] of ops) {
          if (isSet) {
            const node = makeNode(n).zone(zone).obj();
            table.set(n, node);
            model.set(n, node);
          } else expect(table.delete(n)).to.equal(model.delete(n));
        }
        const names = [...new Set(ops.map(([, n]) => n))];
        expect(observe(table, names)).to.deep.equal(expected(model, names));
        expect([...table.entries()].map((e) => e.name).sort()).to.deep.equal([...model.keys()].sort());
        expect(table.size).to.equal(model.size);
      }),
      { seed: 20261122, numRuns: 200 },
    );
  });
});

describe('NodeTable.signatures: one id per distinct projection', () => {
  it('gives equal ids exactly to nodes whose labels agree on the keys, and recomputes a replaced node', () => {
    const table = new NodeTable();
    table.set('a1', makeNode('a1').zone('zone-a').obj());
    table.set('a2', makeNode('a2').zone('zone-a').obj());
    table.set('b1', makeNode('b1').zone('zone-b').obj());
    table.set('x1', makeNode('x1').obj());
    const column = table.signatures(KeySet.of([ZONE]));
    const id = (n: string) => column.id(table.find(n), table);
    const before = { a1: id('a1'), a2: id('a2'), b1: id('b1'), x1: id('x1') };
    table.set('a2', makeNode('a2').zone('zone-b').obj());
    const after = id('a2');
    expect({
      sameZone: before.a1 === before.a2,
      otherZone: before.a1 === before.b1,
      noZone: before.x1 === before.a1 || before.x1 === before.b1,
      movedToB: after === before.b1,
      same: table.signatures(KeySet.of([ZONE])) === column,
    }).to.deep.equal({ sameZone: true, otherZone: false, noZone: false, movedToB: true, same: true });
  });
});
