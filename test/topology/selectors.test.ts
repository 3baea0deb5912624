import { expect } from 'chai';
import type { NodeSelectorTerm, TopologySelectorTerm } from '../../src/cluster/types.js';
import { labelKeyError, labelValueError, parseInt64 } from '../../src/topology/labels.js';
import { compileTopologyTerms, compileVolumeNodeAffinity } from '../../src/topology/selectors.js';
import { req } from '../support/builders.js';

const K = 'example.com/tier';

describe('node selector requirement operators (PV nodeAffinity)', () => {
  const cases: { name: string; expr: ReturnType<typeof req>; want: Record<string, boolean> }[] = [
    { name: 'In: value in the set', expr: req(K, 'In', 'a', 'b'), want: { a: true, b: true, c: false, absent: false } },
    {
      name: 'NotIn: value outside the set, or label absent',
      expr: req(K, 'NotIn', 'a'),
      want: { a: false, b: true, absent: true },
    },
    { name: 'Exists', expr: req(K, 'Exists'), want: { a: true, empty: true, absent: false } },
    { name: 'DoesNotExist', expr: req(K, 'DoesNotExist'), want: { a: false, empty: false, absent: true } },
    {
      name: 'Gt: strict integer comparison; non-integers and absent labels never match',
      expr: req(K, 'Gt', '5'),
      want: {
        '6': true,
        '5': false,
        '-7': false,
        '+9': true,
        '05': false,
        '006': true,
        '5.5': false,
        x: false,
        absent: false,
      },
    },
    {
      name: 'Lt: strict integer comparison',
      expr: req(K, 'Lt', '5'),
      want: { '4': true, '5': false, '-9223372036854775808': true, '9223372036854775808': false, absent: false },
    },
    {
      name: 'Gt with int64 bounds compares exactly (no float rounding)',
      expr: req(K, 'Gt', '9223372036854775806'),
      want: { '9223372036854775807': true, '9223372036854775806': false },
    },
  ];
  const labelsFor = (v: string) => (v === 'absent' ? {} : { [K]: v === 'empty' ? '' : v });
  for (const c of cases) {
    it(c.name, () => {
      const sel = compileVolumeNodeAffinity({ nodeSelectorTerms: [{ matchExpressions: [c.expr] }] });
      const got = Object.fromEntries(Object.keys(c.want).map((v) => [v, sel?.matches(labelsFor(v))]));
      expect(got).to.deep.equal(c.want);
    });
  }
});

describe('invalid requirements make their term never match (other terms still do)', () => {
  const valid: NodeSelectorTerm = { matchExpressions: [req('zone', 'In', 'z2')] };
  const cases: { name: string; bad: NodeSelectorTerm }[] = [
    { name: 'unknown operator', bad: { matchExpressions: [req(K, 'Equals', 'x')] } },
    { name: 'In without values', bad: { matchExpressions: [req(K, 'In')] } },
    { name: 'NotIn without values', bad: { matchExpressions: [req(K, 'NotIn')] } },
    { name: 'Exists with values', bad: { matchExpressions: [req(K, 'Exists', 'x')] } },
    { name: 'DoesNotExist with values', bad: { matchExpressions: [req(K, 'DoesNotExist', 'x')] } },
    { name: 'Gt with a non-integer', bad: { matchExpressions: [req(K, 'Gt', '1.5')] } },
    { name: 'Gt with two values', bad: { matchExpressions: [req(K, 'Gt', '1', '2')] } },
    { name: 'Lt with a negative number (not a valid label value)', bad: { matchExpressions: [req(K, 'Lt', '-1')] } },
    { name: 'invalid label key', bad: { matchExpressions: [req('bad key!', 'Exists')] } },
    { name: 'invalid label value', bad: { matchExpressions: [req(K, 'In', 'has space')] } },
    {
      name: 'invalid requirement ANDed with a valid one',
      bad: { matchExpressions: [req(K, 'Exists'), req(K, 'Nope')] },
    },
    { name: 'matchFields with an unsupported operator', bad: { matchFields: [req('metadata.name', 'Exists')] } },
    { name: 'matchFields In with two values', bad: { matchFields: [req('metadata.name', 'In', 'a', 'b')] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sel = compileVolumeNodeAffinity({ nodeSelectorTerms: [c.bad, valid] });
      const labels = { [K]: '1', zone: 'z1' };
      expect({
        alone: compileVolumeNodeAffinity({ nodeSelectorTerms: [c.bad] })?.matches(labels),
        otherTermHolds: sel?.matches({ ...labels, zone: 'z2' }),
        otherTermFails: sel?.matches(labels),
        hasErrors: (sel?.errors.length ?? 0) > 0,
      }).to.deep.equal({ alone: false, otherTermHolds: true, otherTermFails: false, hasErrors: true });
    });
  }
});

describe('node selector terms', () => {
  const cases: { name: string; terms: NodeSelectorTerm[]; want: Record<string, boolean> }[] = [
    { name: 'zero terms match nothing', terms: [], want: { z1: false, none: false } },
    { name: 'an empty term matches nothing', terms: [{}], want: { z1: false, none: false } },
    {
      name: 'an empty term does not stop other terms',
      terms: [{ matchExpressions: [] }, { matchExpressions: [req('zone', 'In', 'z1')] }],
      want: { z1: true, none: false },
    },
    {
      name: 'matchFields never exclude a node: PV affinity is checked against labels only',
      terms: [{ matchFields: [req('metadata.name', 'In', 'some-other-node')] }],
      want: { z1: true, none: true },
    },
    {
      name: 'matchFields alongside label expressions: only the labels decide',
      terms: [{ matchExpressions: [req('zone', 'In', 'z1')], matchFields: [req('metadata.name', 'NotIn', 'x')] }],
      want: { z1: true, none: false },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sel = compileVolumeNodeAffinity({ nodeSelectorTerms: c.terms });
      const got = { z1: sel?.matches({ zone: 'z1' }), none: sel?.matches({}) };
      expect(got).to.deep.equal(c.want);
    });
  }

  it('no required selector imposes nothing', () => {
    expect(compileVolumeNodeAffinity(undefined)).to.equal(undefined);
  });

  it('malformed shapes become errors, not exceptions', () => {
    const shapes: unknown[] = [
      { nodeSelectorTerms: 'x' },
      { nodeSelectorTerms: [{ matchExpressions: 'x' }] },
      { nodeSelectorTerms: [null] },
    ];
    const got = shapes.map((s) => compileVolumeNodeAffinity(s as never)?.matches({ zone: 'z1' }));
    expect(got).to.deep.equal([false, false, false]);
  });
});

describe('topology selector terms (allowedTopologies, content nodeAffinity)', () => {
  const t = (...exprs: [string, ...string[]][]): TopologySelectorTerm => ({
    matchLabelExpressions: exprs.map(([key, ...values]) => ({ key, values })),
  });
  const cases: { name: string; terms: TopologySelectorTerm[] | undefined; want: Record<string, boolean> }[] = [
    { name: 'absent list matches every node', terms: undefined, want: { a: true, b: true, none: true } },
    { name: 'empty list matches every node', terms: [], want: { a: true, b: true, none: true } },
    { name: 'an empty term matches nothing', terms: [{}], want: { a: false, b: false, none: false } },
    { name: 'terms ORed', terms: [t(['zone', 'a']), t(['zone', 'b'])], want: { a: true, b: true, none: false } },
    {
      name: 'expressions ANDed',
      terms: [t(['zone', 'a', 'b'], ['disk', 'ssd'])],
      want: { a: true, b: false, none: false },
    },
    {
      name: 'an expression without values invalidates its term',
      terms: [t(['zone']), t(['zone', 'b'])],
      want: { a: false, b: true, none: false },
    },
  ];
  const labels: Record<string, Record<string, string>> = { a: { zone: 'a', disk: 'ssd' }, b: { zone: 'b' }, none: {} };
  for (const c of cases) {
    it(c.name, () => {
      const sel = compileTopologyTerms(c.terms);
      expect(Object.fromEntries(Object.keys(c.want).map((k) => [k, sel.matches(labels[k] ?? {})]))).to.deep.equal(
        c.want,
      );
    });
  }
});

describe('values allowed per key (keyed scopes, closeness)', () => {
  it('unions In values across valid terms; NotIn and invalid terms add nothing', () => {
    const sel = compileVolumeNodeAffinity({
      nodeSelectorTerms: [
        { matchExpressions: [req('zone', 'In', 'a')] },
        { matchExpressions: [req('zone', 'In', 'b', 'c'), req('host', 'NotIn', 'h1')] },
        { matchExpressions: [req('zone', 'In', 'z'), req('x', 'Bogus')] },
      ],
    });
    expect({ zone: [...(sel?.inValues('zone') ?? [])], host: sel?.inValues('host') }).to.deep.equal({
      zone: ['a', 'b', 'c'],
      host: undefined,
    });
  });
});

describe('label syntax', () => {
  const keys: { name: string; key: string; valid: boolean }[] = [
    { name: 'plain name', key: 'zone', valid: true },
    { name: 'prefixed name', key: 'topology.kubernetes.io/zone', valid: true },
    { name: 'empty', key: '', valid: false },
    { name: 'two slashes', key: 'a/b/c', valid: false },
    { name: 'empty prefix', key: '/zone', valid: false },
    { name: 'uppercase prefix', key: 'Example.com/zone', valid: false },
    { name: 'name of 64 characters', key: 'a'.repeat(64), valid: false },
    { name: 'name starting with a dash', key: '-zone', valid: false },
  ];
  for (const c of keys) it(`key: ${c.name}`, () => expect(labelKeyError(c.key) === undefined).to.equal(c.valid));
  const values: { name: string; value: string; valid: boolean }[] = [
    { name: 'empty is valid', value: '', valid: true },
    { name: 'dots, dashes, underscores inside', value: 'a.b-c_d', valid: true },
    { name: 'trailing dash', value: 'a-', valid: false },
    { name: '64 characters', value: 'a'.repeat(64), valid: false },
  ];
  for (const c of values)
    it(`value: ${c.name}`, () => expect(labelValueError(c.value) === undefined).to.equal(c.valid));
  const ints: { name: string; s: string; want: bigint | undefined }[] = [
    { name: 'plain', s: '42', want: 42n },
    { name: 'plus sign', s: '+42', want: 42n },
    { name: 'minus sign', s: '-42', want: -42n },
    { name: 'leading zeros', s: '007', want: 7n },
    { name: 'int64 max', s: '9223372036854775807', want: 9223372036854775807n },
    { name: 'overflow', s: '9223372036854775808', want: undefined },
    { name: 'space', s: ' 1', want: undefined },
    { name: 'hex', s: '0x10', want: undefined },
    { name: 'underscore', s: '1_000', want: undefined },
    { name: 'empty', s: '', want: undefined },
  ];
  for (const c of ints) it(`int64: ${c.name}`, () => expect(parseInt64(c.s)).to.equal(c.want));
});
