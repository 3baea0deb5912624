import { expect } from 'chai';
import { asciiJson, KeySet, NodeEntry } from '../../src/cluster/nodes.js';
import { makeNode } from '../support/builders.js';

describe('KeySet: interned label key sets', () => {
  const cases = [
    { name: 'same keys in another order are the same set', a: ['b', 'a'], b: ['a', 'b'], same: true },
    { name: 'repeated keys do not matter', a: ['a', 'a', 'b'], b: ['b', 'a'], same: true },
    { name: 'different keys are different sets', a: ['a'], b: ['a', 'b'], same: false },
    { name: 'no keys is a set of its own', a: [], b: [''], same: false },
  ];
  for (const tc of cases) {
    it(tc.name, () => expect(KeySet.of(tc.a) === KeySet.of(tc.b)).to.equal(tc.same));
  }
});

describe('KeySet.signature: equal exactly when every key agrees', () => {
  const keys = KeySet.of(['zone', 'region']);
  const cases = [
    {
      name: 'same values',
      a: { zone: 'z1', region: 'r1', host: 'n1' },
      b: { zone: 'z1', region: 'r1', host: 'n2' },
      equal: true,
    },
    { name: 'a value differs', a: { zone: 'z1', region: 'r1' }, b: { zone: 'z2', region: 'r1' }, equal: false },
    { name: 'absent is not the empty value', a: { zone: '', region: 'r1' }, b: { region: 'r1' }, equal: false },
    { name: 'absent on both sides', a: { region: 'r1' }, b: { region: 'r1', other: 'x' }, equal: true },
    {
      name: 'separators inside values do not collide',
      a: { zone: 'a","b', region: 'c' },
      b: { zone: 'a', region: 'b","c' },
      equal: false,
    },
    {
      name: 'a value that spells null is not an absent key',
      a: { zone: 'null', region: 'r' },
      b: { region: 'r' },
      equal: false,
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => expect(keys.signature(tc.a) === keys.signature(tc.b)).to.equal(tc.equal));
  }
});

describe('NodeEntry', () => {
  const cases = [
    {
      name: 'a DNS name is its own JSON literal',
      node: 'ip-10-0-0-1.ec2.internal',
      json: '"ip-10-0-0-1.ec2.internal"',
    },
    { name: 'quotes and backslashes are escaped', node: 'a"b\\c', json: '"a\\"b\\\\c"' },
    { name: 'characters beyond ASCII become \\u escapes', node: 'nöde', json: '"n\\u00f6de"' },
  ];
  for (const tc of cases) {
    it(`encodes its name: ${tc.name}`, () => {
      const entry = new NodeEntry(tc.node, makeNode(tc.node).obj());
      expect({
        bytes: entry.jsonBytes.toString('latin1'),
        parsed: JSON.parse(entry.jsonBytes.toString('latin1')),
      }).to.deep.equal({
        bytes: tc.json,
        parsed: tc.node,
      });
    });
  }

  it('remembers the signature of the last key set and answers each set correctly', () => {
    const entry = new NodeEntry('a1', makeNode('a1').zone('zone-a').region('r1').obj());
    const zone = KeySet.of(['topology.kubernetes.io/zone']);
    const region = KeySet.of(['topology.kubernetes.io/region']);
    const got = [entry.signature(zone), entry.signature(region), entry.signature(zone)];
    expect(got).to.deep.equal([
      zone.signature(entry.labels),
      region.signature(entry.labels),
      zone.signature(entry.labels),
    ]);
  });

  it('asciiJson output always parses back to the input', () => {
    const inputs = ['', 'plain', 'tab\there', 'line\nbreak', '\u007f', '\u2028', 'emoji 😀', '"quoted"'];
    expect(inputs.map((s) => JSON.parse(asciiJson(s)))).to.deep.equal(inputs);
    expect(inputs.every((s) => /^[\x20-\x7e]*$/.test(asciiJson(s)))).to.equal(true);
  });
});
