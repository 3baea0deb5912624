import { expect } from 'chai';
import { ListDecoder, NotJsonError } from '../../src/cluster/live/decode.js';

/** Decodes `body` fed in chunks of `chunkSize` bytes: the items as they were handed over, then the rest. */
function decode(body: string, chunkSize: number): { items: unknown[]; rest: unknown } {
  const items: unknown[] = [];
  const decoder = new ListDecoder((item) => items.push(item));
  const bytes = Buffer.from(body);
  for (let at = 0; at < bytes.length; at += chunkSize) decoder.write(bytes.subarray(at, at + chunkSize));
  return { items, rest: decoder.end() };
}

const list = (items: readonly unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: 'PersistentVolumeList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '7' },
    ...extra,
    items,
  });

const tricky = {
  metadata: { name: 'a]b,c{d}"e', annotations: { 'x\\"]': '\\', quote: '"', brackets: '[[{{' } },
  spec: { nested: [[1, 2], { items: [3] }], unicode: 'zone-é-\u2028' },
};

const cases: { name: string; body: string; want: { items: unknown[]; rest: unknown } }[] = [
  {
    name: 'a list: each item, and the rest with an empty items array',
    body: list([{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }]),
    want: {
      items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }],
      rest: { kind: 'PersistentVolumeList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] },
    },
  },
  {
    name: 'strings with brackets, commas, escaped quotes and backslashes, nested arrays, non-ASCII',
    body: list([tricky, tricky]),
    want: {
      items: [tricky, tricky],
      rest: { kind: 'PersistentVolumeList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] },
    },
  },
  {
    name: 'metadata after the items, whitespace everywhere',
    body: ' {\n "items" : [ {"a": 1} ,\n {"b": [ ]} ] ,\n "metadata" : {"continue": "x"} }\n',
    want: { items: [{ a: 1 }, { b: [] }], rest: { items: [], metadata: { continue: 'x' } } },
  },
  {
    name: 'items that are not objects are handed over as they are',
    body: '{"items":[1,"two",null,[3]]}',
    want: { items: [1, 'two', null, [3]], rest: { items: [] } },
  },
  {
    name: 'an empty list',
    body: '{"metadata":{},"items":[]}',
    want: { items: [], rest: { metadata: {}, items: [] } },
  },
  {
    name: 'a key named items below the top level stays in place',
    body: '{"metadata":{"items":[1]},"items":[{"items":[2]}]}',
    want: { items: [{ items: [2] }], rest: { metadata: { items: [1] }, items: [] } },
  },
  {
    name: 'a body without items (a Status) is returned whole',
    body: '{"kind":"Status","code":410,"message":"too old"}',
    want: { items: [], rest: { kind: 'Status', code: 410, message: 'too old' } },
  },
  {
    name: 'an escaped key is not recognized: its items stay in the rest',
    body: '{"it\\u0065ms":[{"a":1}]}',
    want: { items: [], rest: { items: [{ a: 1 }] } },
  },
];

describe('list pages decoded item by item as they arrive', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      const whole = decode(tc.body, Number.MAX_SAFE_INTEGER);
      // Every chunk boundary: one byte at a time, and a few odd sizes.
      const split = [1, 2, 3, 7, 64].map((size) => decode(tc.body, size));
      expect({ whole, split }).to.deep.equal({ whole: tc.want, split: [1, 2, 3, 7, 64].map(() => tc.want) });
    });
  }
});

describe('list pages that are not JSON', () => {
  const bad: { name: string; body: string }[] = [
    { name: 'a broken item', body: '{"items":[{"a":1},{"a":}]}' },
    { name: 'two values in one item', body: '{"items":[{} {}]}' },
    { name: 'a body cut inside the items', body: '{"items":[{"a":1},{"a"' },
    { name: 'a body cut after the items', body: '{"items":[{"a":1}],"metadata":' },
    { name: 'not JSON at all', body: '<html>bad gateway</html>' },
  ];
  for (const tc of bad) {
    it(tc.name, () => {
      let error: unknown;
      try {
        decode(tc.body, 5);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(NotJsonError);
    });
  }
});
