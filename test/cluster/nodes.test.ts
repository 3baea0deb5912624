import { expect } from 'chai';
import { asciiJson, KeySet } from '../../src/cluster/nodes.js';

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

describe('asciiJson', () => {
  it('output is printable ASCII and always parses back to the input', () => {
    const inputs = ['', 'plain', 'tab\there', 'line\nbreak', '\u007f', '\u2028', 'emoji 😀', '"quoted"', 'nöde'];
    expect(inputs.map((s) => JSON.parse(asciiJson(s)))).to.deep.equal(inputs);
    expect(inputs.every((s) => /^[\x20-\x7e]*$/.test(asciiJson(s)))).to.equal(true);
  });
});
