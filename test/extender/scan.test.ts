import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { type DecodedArgs, DecodeError, decodeArgs } from '../../src/extender/decode.js';
import { foldKey, JsonSyntaxError, MAX_DEPTH, type ScannedArgs, scanArgs } from '../../src/extender/scan.js';
import { wasmBuffer } from '../../src/extender/wasm.js';
import { decodedPod } from '../support/decoded-pod.js';
import { type ReferenceArgs, scanArgsReference } from '../support/scan-reference.js';

const wire = (name: string): Buffer =>
  readFileSync(new URL(`../../../../shared/fixtures/wire/${name}`, import.meta.url));
const pod = '{"metadata":{"name":"p","namespace":"db"}}';
const node = (name: string, labels = '{"zone":"a"}') =>
  `{"metadata":{"name":"${name}","labels":${labels}},"status":{}}`;
const nodesBody = (...items: string[]) =>
  `{"Pod":${pod},"Nodes":{"metadata":{},"items":[${items.join(',')}]},"NodeNames":null}`;

/** What a decoded request says, in plain data. */
function summary(args: DecodedArgs): unknown {
  if (args.mode === 'names') return { pod: args.pod.metadata?.name, names: args.nodeNames };
  return {
    pod: args.pod.metadata?.name,
    nodes: args.nodes.map((n) => ({ name: n.name, labels: { ...n.labels }, json: n.json() })),
  };
}

describe('scanner: valid bodies decode like JSON.parse', () => {
  const cases: { name: string; body: string | Buffer; want: unknown }[] = [
    {
      name: 'Nodes mode: names, labels and each node as its exact bytes',
      body: nodesBody(node('a1'), node('b1', '{"zone":"b","x":"1"}')),
      want: {
        pod: 'p',
        nodes: [
          { name: 'a1', labels: { zone: 'a' }, json: node('a1') },
          { name: 'b1', labels: { zone: 'b', x: '1' }, json: node('b1', '{"zone":"b","x":"1"}') },
        ],
      },
    },
    {
      name: 'whitespace everywhere JSON allows it; bytes kept as sent',
      body: ` {\n"Pod" : ${pod} ,\t"Nodes":{ "items" : [ {"metadata":{"name":"a1"} } ] },"NodeNames":null}\r\n`,
      want: { pod: 'p', nodes: [{ name: 'a1', labels: {}, json: '{"metadata":{"name":"a1"} }' }] },
    },
    {
      name: 'escapes in names, labels and keys are decoded',
      body: nodesBody('{"meta\\u0064ata":{"name":"n\\u00e9\\"1","labels":{"k\\/1":"v\\n"}}}'),
      want: {
        pod: 'p',
        nodes: [
          {
            name: 'né"1',
            labels: { 'k/1': 'v\n' },
            json: '{"meta\\u0064ata":{"name":"n\\u00e9\\"1","labels":{"k\\/1":"v\\n"}}}',
          },
        ],
      },
    },
    {
      name: 'non-ASCII UTF-8 passes through',
      body: nodesBody(node('ü-1', '{"zone":"日本"}')),
      want: { pod: 'p', nodes: [{ name: 'ü-1', labels: { zone: '日本' }, json: node('ü-1', '{"zone":"日本"}') }] },
    },
    {
      name: 'numbers, literals and nested values elsewhere are validated and skipped',
      body: nodesBody('{"a":[-0.5e+10,0,1E2,true,false,null,{"b":[[]]}],"metadata":{"name":"a1","x":{}}}'),
      want: {
        pod: 'p',
        nodes: [
          {
            name: 'a1',
            labels: {},
            json: '{"a":[-0.5e+10,0,1E2,true,false,null,{"b":[[]]}],"metadata":{"name":"a1","x":{}}}',
          },
        ],
      },
    },
    { name: 'empty items list', body: nodesBody(), want: { pod: 'p', nodes: [] } },
    {
      name: 'Nodes without items: no candidates',
      body: `{"Pod":${pod},"Nodes":{"metadata":{}},"NodeNames":null}`,
      want: { pod: 'p', nodes: [] },
    },
    {
      name: 'label values that are not strings are dropped',
      body: nodesBody(node('a1', '{"zone":"a","n":1,"o":{}}')),
      want: { pod: 'p', nodes: [{ name: 'a1', labels: { zone: 'a' }, json: node('a1', '{"zone":"a","n":1,"o":{}}') }] },
    },
  ];
  for (const tc of cases) it(tc.name, () => expect(summary(decodeArgs(tc.body))).to.deep.equal(tc.want));

  for (const file of [
    'filter-nocache-clone-1.json',
    'prioritize-nocache-restore-1.json',
    'filter-cache-clone-1.json',
  ]) {
    it(`captured body ${file}: same pod, names and nodes as JSON.parse`, () => {
      const body = wire(file);
      const parsed = JSON.parse(body.toString('utf8')) as {
        Pod: unknown;
        Nodes: { items: { metadata: { name: string; labels: Record<string, string> } }[] } | null;
        NodeNames: string[] | null;
      };
      const got = decodeArgs(body);
      expect(got.pod).to.deep.equal(decodedPod(parsed.Pod));
      // The captured Pod has every part the decoder keeps, so the comparison above covers them all.
      expect(got.pod.metadata).to.have.all.keys('name', 'namespace', 'uid');
      expect(got.pod.spec?.volumes).to.be.an('array').that.is.not.empty;
      if (got.mode === 'names') expect(got.nodeNames).to.deep.equal(parsed.NodeNames);
      else {
        const items = parsed.Nodes?.items ?? [];
        expect(got.nodes.map((n) => [n.name, { ...n.labels }, JSON.parse(n.json())])).to.deep.equal(
          items.map((i) => [i.metadata.name, i.metadata.labels, i]),
        );
        expect(JSON.parse(got.nodeListJson())).to.deep.equal(parsed.Nodes);
      }
    });
  }
});

describe('decoder: the Pod as decisions read it', () => {
  const vol = '{"name":"data","persistentVolumeClaim":{"claimName":"c1"}}';
  const cases: { name: string; pod: string; want: unknown }[] = [
    {
      name: 'name, namespace, uid and volumes kept; containers, labels and the rest left out',
      pod: `{"metadata":{"name":"p","namespace":"db","uid":"u1","labels":{"a":"b"},"ownerReferences":[{"name":"rs","uid":"u0"}]},"spec":{"containers":[{"name":"c"}],"volumes":[${vol}],"nodeName":""},"status":{}}`,
      want: {
        metadata: { name: 'p', namespace: 'db', uid: 'u1' },
        spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'c1' } }] },
      },
    },
    {
      name: 'escaped and non-ASCII strings decoded',
      pod: '{"metadata":{"name":"p\\u00e9\\"q","namespace":"日本"}}',
      want: { metadata: { name: 'pé"q', namespace: '日本' } },
    },
    {
      name: 'the last duplicate wins, of metadata as a whole and of its members',
      pod: '{"metadata":{"name":"old","uid":"u-old"},"metadata":{"name":"a","name":"b"}}',
      want: { metadata: { name: 'b' } },
    },
    {
      name: 'keys match exactly, as JSON.parse reads them',
      pod: `{"Metadata":{"name":"x"},"metadata":{"Name":"y","namespace":"db"},"SPEC":{"volumes":[]},"spec":{"Volumes":[${vol}]}}`,
      want: { metadata: { namespace: 'db' }, spec: {} },
    },
    {
      name: 'values of other types kept as they are, for the decisions to refuse',
      pod: '{"metadata":{"name":7,"namespace":null,"uid":["u"]},"spec":{"volumes":{"not":"a list"}}}',
      want: { metadata: { name: 7, namespace: null, uid: ['u'] }, spec: { volumes: { not: 'a list' } } },
    },
    {
      name: 'a metadata or spec that is not an object kept whole',
      pod: '{"metadata":"p","spec":[1,{"volumes":[]}]}',
      want: { metadata: 'p', spec: [1, { volumes: [] }] },
    },
    { name: 'an empty Pod', pod: '{}', want: {} },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const args = decodeArgs(`{"Pod":${tc.pod},"Nodes":null,"NodeNames":["n1"]}`);
      expect(args.pod).to.deep.equal(tc.want);
      expect(args.pod).to.deep.equal(decodedPod(JSON.parse(tc.pod)));
    });
  }
});

describe('scanner: duplicate keys and key folding, as Go decodes ExtenderArgs', () => {
  const cases: { name: string; body: string; want: unknown }[] = [
    {
      name: 'the last NodeNames wins',
      body: `{"Pod":${pod},"Nodes":null,"NodeNames":["x"],"NodeNames":["a1"]}`,
      want: { pod: 'p', names: ['a1'] },
    },
    {
      name: 'keys match case-insensitively',
      body: `{"pod":${pod},"NODES":null,"nodeNames":["a1"]}`,
      want: { pod: 'p', names: ['a1'] },
    },
    {
      name: 'a later spelling of a key wins even where JSON.parse would keep another order',
      body: `{"nodenames":["x"],"Pod":${pod},"Nodes":null,"NodeNames":["y"],"nodenames":["z"]}`,
      want: { pod: 'p', names: ['z'] },
    },
    {
      name: 'a later Nodes null replaces a NodeList',
      body: `{"Pod":${pod},"Nodes":{"items":[${node('a1')}]},"NodeNames":["n1"],"nodes":null}`,
      want: { pod: 'p', names: ['n1'] },
    },
    {
      name: 'a later NodeList replaces a NodeList',
      body: `{"Pod":${pod},"Nodes":{"items":[${node('a1')}]},"nodes":{"items":[${node('b1')}]},"NodeNames":null}`,
      want: { pod: 'p', nodes: [{ name: 'b1', labels: { zone: 'a' }, json: node('b1') }] },
    },
    {
      name: "Go's Unicode folding: ſ (U+017F) matches s",
      body: `{"Pod":${pod},"Nodes":null,"NodeNameſ":["a1"]}`,
      want: { pod: 'p', names: ['a1'] },
    },
    {
      name: 'escaped key',
      body: `{"P\\u006fd":${pod},"Nodes":null,"NodeNames":["a1"]}`,
      want: { pod: 'p', names: ['a1'] },
    },
    {
      name: 'inside a node: the last metadata, name and labels win; keys there are exact',
      body: nodesBody(
        '{"metadata":{"name":"x"},"Metadata":{"name":"y"},"metadata":{"name":"a0","name":"a1","labels":{"zone":"a"},"labels":{"zone":"b","zone":"c"},"Name":"z"}}',
      ),
      want: {
        pod: 'p',
        nodes: [
          {
            name: 'a1',
            labels: { zone: 'c' },
            json: '{"metadata":{"name":"x"},"Metadata":{"name":"y"},"metadata":{"name":"a0","name":"a1","labels":{"zone":"a"},"labels":{"zone":"b","zone":"c"},"Name":"z"}}',
          },
        ],
      },
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(summary(decodeArgs(tc.body))).to.deep.equal(tc.want);
      // The same through the scanner alone, whatever the size-based choice of path.
      const big = `${tc.body}${' '.repeat(1 << 20)}`;
      expect(summary(decodeArgs(big))).to.deep.equal(tc.want);
    });
  }

  it('folds only what Go folds', () => {
    expect(['Pod', 'NODES', 'nodeNameſ', 'Podſ', 'NodeNames'].map(foldKey)).to.deep.equal([
      'pod',
      'nodes',
      'nodenames',
      'pods',
      'nodenames',
    ]);
  });
});

describe('scanner: malformed bodies are rejected', () => {
  // `error` holds for both ways in; `scanner` is the detail the scanner adds (small NodeNames bodies
  // are checked by JSON.parse, whose messages are V8's).
  const cases: { name: string; body: string; error: RegExp; scanner?: RegExp }[] = [
    {
      name: 'trailing data',
      body: `${nodesBody(node('a1'))} x`,
      error: /not valid JSON/,
      scanner: /not valid JSON: unexpected data/,
    },
    { name: 'unterminated string', body: nodesBody('{"metadata":{"name":"a1}}'), error: /not valid JSON/ },
    {
      name: 'control character in a string',
      body: nodesBody('{"metadata":{"name":"a\u00011"}}'),
      error: /not valid JSON/,
      scanner: /control character/,
    },
    {
      name: 'invalid escape',
      body: nodesBody('{"metadata":{"name":"a\\x1"}}'),
      error: /not valid JSON/,
      scanner: /invalid escape/,
    },
    {
      name: 'invalid \\u escape',
      body: nodesBody('{"metadata":{"name":"a\\u12G4"}}'),
      error: /not valid JSON/,
      scanner: /invalid \\u escape/,
    },
    { name: 'leading zero', body: nodesBody('{"n":01}'), error: /not valid JSON/ },
    { name: 'fraction without digits', body: nodesBody('{"n":1.}'), error: /not valid JSON/, scanner: /decimal point/ },
    { name: 'exponent without digits', body: nodesBody('{"n":1e+}'), error: /not valid JSON/, scanner: /exponent/ },
    { name: 'lone minus', body: nodesBody('{"n":-}'), error: /not valid JSON/, scanner: /invalid number/ },
    { name: 'plus sign', body: nodesBody('{"n":+1}'), error: /not valid JSON/, scanner: /expected a JSON value/ },
    { name: 'bad literal', body: nodesBody('{"n":tru}'), error: /not valid JSON/, scanner: /invalid literal/ },
    { name: 'NaN', body: nodesBody('{"n":NaN}'), error: /not valid JSON/, scanner: /expected a JSON value/ },
    {
      name: 'trailing comma in an array',
      body: nodesBody('{"n":[1,]}'),
      error: /not valid JSON/,
      scanner: /expected a JSON value/,
    },
    {
      name: 'trailing comma in an object',
      body: nodesBody('{"n":1,}'),
      error: /not valid JSON/,
      scanner: /expected string key/,
    },
    { name: 'missing colon', body: nodesBody('{"n" 1}'), error: /not valid JSON/, scanner: /':'/ },
    { name: 'unquoted key', body: nodesBody('{n:1}'), error: /not valid JSON/, scanner: /expected string key/ },
    { name: 'single quotes', body: `{'Pod':${pod}}`, error: /not valid JSON/, scanner: /expected string key/ },
    {
      name: 'missing comma',
      body: nodesBody(`${node('a1')} ${node('b1')}`),
      error: /not valid JSON/,
      scanner: /expected ',' or ']'/,
    },
    {
      name: 'bad JSON inside the Pod',
      body: `{"Pod":{"a":[1 2]},"Nodes":{"items":[]},"NodeNames":null}`,
      error: /not valid JSON/,
    },
    {
      name: 'bad JSON after a later Nodes null still counts',
      body: `{"Pod":${pod},"Nodes":{"items":[}]},"Nodes":null,"NodeNames":["a"]}`,
      error: /not valid JSON/,
    },
    {
      name: `nesting deeper than ${MAX_DEPTH}, as Go refuses`,
      body: nodesBody(`{"x":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}`),
      error: /not valid JSON/,
      scanner: /exceeded max depth/,
    },
    { name: 'only whitespace', body: ' \n\t', error: /empty request body/ },
    { name: 'a JSON array', body: `[${pod}]`, error: /must be a JSON object/ },
    { name: 'Pod not an object', body: `{"Pod":[],"Nodes":null,"NodeNames":["a"]}`, error: /Pod must be a Pod object/ },
    {
      name: 'last Pod wins, and it is null',
      body: `{"Pod":${pod},"pod":null,"Nodes":null,"NodeNames":["a"]}`,
      error: /Pod must be a Pod object/,
    },
    { name: 'items not a list', body: `{"Pod":${pod},"Nodes":{"items":{}},"NodeNames":null}`, error: /NodeList/ },
    {
      name: 'an item that is not an object',
      body: nodesBody(node('a1'), '"b1"'),
      error: /items\[1\] must be a Node object/,
    },
    {
      name: 'an item without a name',
      body: nodesBody('{"metadata":{"name":""}}'),
      error: /items\[0\]\.metadata\.name/,
    },
    {
      name: 'an item whose name is not a string',
      body: nodesBody('{"metadata":{"name":7}}'),
      error: /items\[0\]\.metadata\.name/,
    },
    {
      name: 'an item whose metadata is not an object',
      body: nodesBody('{"metadata":[]}'),
      error: /items\[0\]\.metadata\.name/,
    },
    {
      name: 'both Nodes and NodeNames',
      body: `{"Pod":${pod},"Nodes":{"items":[]},"NodeNames":[]}`,
      error: /both Nodes and NodeNames/,
    },
    {
      name: 'NodeNames with a number',
      body: `{"Pod":${pod},"Nodes":null,"NodeNames":["a",1]}`,
      error: /list of strings/,
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(() => decodeArgs(tc.body)).to.throw(DecodeError, tc.error);
      expect(() => decodeArgs(`${tc.body}${' '.repeat(1 << 20)}`), 'through the scanner').to.throw(
        DecodeError,
        tc.error,
      );
    });
  }

  it(`accepts nesting of exactly ${MAX_DEPTH}`, () => {
    // The top-level object and the item are two levels; the NodeList object and its items list two more.
    const inner = MAX_DEPTH - 5;
    const body = nodesBody(`{"metadata":{"name":"a1"},"x":${'['.repeat(inner)}${']'.repeat(inner)}}`);
    expect(decodeArgs(body).mode).to.equal('nodes');
    expect(() => scanArgs(Buffer.from(`${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`))).to.not.throw();
    expect(() => scanArgs(Buffer.from(`${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`))).to.throw(
      JsonSyntaxError,
      /max depth/,
    );
  });

  it('every truncation of a captured body is a 400', () => {
    const body = wire('filter-nocache-restore-1.json');
    const accepted: number[] = [];
    for (let n = 0; n < body.length; n++) {
      try {
        decodeArgs(body.subarray(0, n));
        accepted.push(n);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    }
    expect(accepted).to.deep.equal([]);
  });
});

describe('scanner: agrees with JSON.parse on what is JSON', () => {
  const mutate = (s: string, at: number, insert: string, drop: number) => {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    return s.slice(0, i) + insert + s.slice(i + drop);
  };
  it('valid and mutated JSON documents', () => {
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        fc.constantFrom('', '"', '\\', ',', ']', '}', '{', '[', ':', '0', '-', 'e', '.', ' ', '\u0001', 'tr'),
        fc.nat(2),
        (doc, at, insert, drop) => {
          const text = mutate(doc, at, insert, drop);
          let parses = true;
          try {
            JSON.parse(text);
          } catch {
            parses = false;
          }
          let scans = true;
          try {
            scanArgs(Buffer.from(text));
          } catch (err) {
            if (!(err instanceof JsonSyntaxError)) throw err;
            scans = false;
          }
          return parses === scans;
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });
});

/**
 * What a scan comes to, as plain data: the scanned parts, or the syntax error's message and offset.
 * A `NameList` becomes the strings, where each literal is and the list's range, as the reference
 * scanner reports them.
 */
function scanOutcome(scan: (body: Buffer) => ScannedArgs | ReferenceArgs, body: Buffer): unknown {
  try {
    const scanned = scan(body);
    const names = scanned.nodeNames;
    if (names?.kind !== 'array' || !('list' in names)) return { scanned };
    const { list, allStrings } = names;
    const literals = Array.from({ length: list.length }, (_, k) => [list.literalStart(k), list.literalEnd(k)]);
    return {
      scanned: {
        ...scanned,
        nodeNames: { kind: 'array', names: list.strings(), literals, range: list.range, allStrings },
      },
    };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { error: err.message, offset: err.offset };
    throw err;
  }
}

/**
 * Where a body is: on the heap, or in WebAssembly memory, as the handler reads bodies, where the
 * scanner skips values with WebAssembly (`wasm.ts`).
 */
type Memory = 'heap' | 'wasm';
const MEMORIES: readonly Memory[] = ['heap', 'wasm'];

/** One WebAssembly memory for every body of these tests, replaced by a larger one when needed. */
let arena = wasmBuffer(1 << 20);
/** What follows a body in `arena`: bytes that would end a string or extend a number read past the body. */
const AFTER = Buffer.from('"1'.repeat(16));

/**
 * `bytes` as a Buffer in `memory` that starts `skew` bytes past a 4-byte boundary of its
 * ArrayBuffer (the scanner reads the body four bytes at a time from the first aligned word).
 */
function skewed(bytes: Buffer | string, skew: number, memory: Memory = 'heap'): Buffer {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  if (memory === 'heap') {
    const out = Buffer.alloc(b.length + skew).subarray(skew);
    b.copy(out);
    return out;
  }
  if (skew + b.length + AFTER.length > arena.length) arena = wasmBuffer(2 * (skew + b.length + AFTER.length));
  b.copy(arena, skew);
  AFTER.copy(arena, skew + b.length);
  return arena.subarray(skew, skew + b.length);
}

describe('scanner: same parts and same errors as the byte-at-a-time scanner it replaced', () => {
  const long = 'x'.repeat(37);
  const cases: { name: string; body: string | Buffer }[] = [
    { name: 'compact body', body: nodesBody(node('a1'), node('b1')) },
    { name: 'compact body with a trailing newline (json.Encoder)', body: `${nodesBody(node('a1'))}\n` },
    {
      name: 'newlines, tabs and carriage returns between all tokens',
      body: nodesBody(node('a1')).replace(/[{}[\],:]/g, (c) => `\r\n\t${c} \n`),
    },
    { name: 'whitespace inside empty containers', body: nodesBody('{"metadata":{"name":"a1"},"x":{ \n},"y":[\t]}') },
    {
      name: 'whitespace before a colon and after a key',
      body: nodesBody('{"metadata" \n:{"name" :"a1"},"x" :1}'),
    },
    {
      name: 'escapes at the start and the end of strings',
      body: nodesBody('{"metadata":{"name":"\\"a1\\\\"},"x":["\\n","\\\\","\\u0041\\u00e9\\ud800"]}'),
    },
    {
      name: 'an escaped quote as the only content, then a clean string',
      body: nodesBody(`{"metadata":{"name":"a1"},"x":["\\"","${long}"]}`),
    },
    {
      name: 'a backslash in a later string only',
      body: nodesBody(`{"metadata":{"name":"a1"},"x":["${long}","${long}\\/"]}`),
    },
    {
      name: 'escaped JSON in an annotation',
      body: nodesBody(`{"metadata":{"name":"a1","annotations":{"a":"{\\"k\\":\\"v\\",\\"n\\":[1,2]}"}}}`),
    },
    {
      name: 'DEL and bytes above 0x7f in strings are ordinary',
      body: nodesBody(node('a\u007f1', '{"z":"ü日本\u00ff"}')),
    },
    {
      name: 'invalid UTF-8 in a node name and a label',
      body: Buffer.concat([
        Buffer.from(`{"Pod":${pod},"Nodes":{"items":[{"metadata":{"name":"a`),
        Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        Buffer.from('1","labels":{"z":"'),
        Buffer.from([0xc3]),
        Buffer.from('"}}}]},"NodeNames":null}'),
      ]),
    },
    {
      name: 'NodeNames with escapes and invalid UTF-8',
      body: Buffer.concat([
        Buffer.from(`{"Pod":${pod},"Nodes":null,"NodeNames":["a\\u00e9","b`),
        Buffer.from([0xfe]),
        Buffer.from('"," c ",1]}'),
      ]),
    },
    { name: 'an empty NodeNames list', body: `{"Pod":${pod},"Nodes":null,"NodeNames":[ ]}` },
    {
      name: 'NodeNames of ASCII strings with escapes, and values that are not strings',
      body: `{"Pod":${pod},"Nodes":null,"NodeNames":["a1", "b\\u00e9\\n",7,"c\\"",null,{"x":["y"]},"${long}"]}`,
    },
    {
      name: 'NodeNames with UTF-8 in one name and in a value that is not a string',
      body: `{"Pod":${pod},"Nodes":null,"NodeNames":["a1","ü-1\\t",{"x":"日本"},"b1"]}`,
    },
    { name: 'a tab inside a string', body: nodesBody(`{"metadata":{"name":"a1"},"x":"${long}\t"}`) },
    { name: 'a newline inside a key', body: nodesBody(`{"metadata":{"name":"a1"},"x\n":1}`) },
    { name: 'a NUL byte inside a node name', body: nodesBody('{"metadata":{"name":"a\u00001"}}') },
    {
      name: 'a control character after an escape in the same string',
      body: nodesBody(`{"metadata":{"name":"a1"},"x":"\\n${long}\u001f"}`),
    },
    {
      name: 'an invalid escape before a control character',
      body: nodesBody(`{"metadata":{"name":"a1"},"x":"${long}\\q\u0001"}`),
    },
    {
      name: 'a control character before an invalid escape',
      body: nodesBody(`{"metadata":{"name":"a1"},"x":"${long}\u0001\\q"}`),
    },
    {
      name: 'a control character between strings and one in a later string',
      body: nodesBody(`{"metadata":{"name":"a1"},"x":["${long}",\n"${long}\u0002"]}`),
    },
    { name: 'a \\u escape with three hex digits', body: nodesBody('{"metadata":{"name":"a1"},"x":"\\u00e"}') },
    { name: 'a \\u escape with a bad last digit', body: nodesBody('{"metadata":{"name":"a1"},"x":"\\u00eg"}') },
    { name: 'an invalid escape in a key', body: nodesBody('{"metadata":{"name":"a1"},"\\a":1}') },
    { name: 'a body ending in a backslash', body: `{"Pod":${pod},"x":"abc\\` },
    { name: 'a body ending in a \\u escape', body: `{"Pod":${pod},"x":"abc\\u00` },
    { name: 'a body ending inside a string', body: `{"Pod":${pod},"x":"${long}` },
    { name: 'a body ending after a key', body: `{"Pod":${pod},"x"` },
    { name: 'a body ending after a colon and whitespace', body: `{"Pod":${pod},"x": ` },
    { name: 'a body ending inside a literal', body: `{"Pod":${pod},"x":[tr` },
    { name: 'a body ending inside a number', body: `{"Pod":${pod},"x":[1.` },
    { name: 'a body ending after a value in an array', body: `{"Pod":${pod},"x":[1, 2 ` },
    { name: 'literals misspelled', body: `{"Pod":${pod},"x":[true,fals,null]}` },
    { name: 'null misspelled', body: `{"Pod":${pod},"x":[true,false,nul]}` },
    { name: 'numbers of every shape', body: `{"Pod":${pod},"x":[0,-0,1.5,-12e3,1E+2,2e-2,0.0e0,-1.25E-10]}` },
    { name: 'a number with a leading zero inside an array', body: `{"Pod":${pod},"x":[1,00]}` },
    { name: 'a missing colon with whitespace before the value', body: `{"Pod":${pod},"x" \n 1}` },
    { name: 'a key that is not a string after a comma', body: `{"Pod":${pod}, \n x:1}` },
    { name: 'a closing bracket for an object', body: `{"Pod":${pod},"x":{"a":1]}` },
    { name: 'a closing brace for an array', body: `{"Pod":${pod},"x":[1}}` },
    { name: 'a value that starts with a stray byte', body: `{"Pod":${pod},"x":[@]}` },
    {
      name: `nesting of exactly ${MAX_DEPTH} inside a skipped value`,
      body: `{"Pod":${pod},"x":${'[{"a":'.repeat((MAX_DEPTH - 2) / 2)}0${'}]'.repeat((MAX_DEPTH - 2) / 2)}}`,
    },
    {
      name: `nesting of ${MAX_DEPTH + 1} inside a skipped value`,
      body: `{"Pod":${pod},"x":${'[{"a":'.repeat(MAX_DEPTH / 2)}0${'}]'.repeat(MAX_DEPTH / 2)}}`,
    },
    { name: 'a top-level string with a control character', body: '"abc\u0001"' },
    { name: 'a top-level number followed by whitespace and more', body: ' 12 \n 3' },
    { name: 'an empty body', body: '' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      for (const memory of MEMORIES) {
        for (const skew of [0, 1, 2, 3]) {
          const body = skewed(tc.body, skew, memory);
          expect(scanOutcome(scanArgs, body), `${memory}, skew ${skew}`).to.deep.equal(
            scanOutcome(scanArgsReference, body),
          );
        }
      }
    });
  }

  it('a control character or backslash at every offset of a long string, at every alignment', () => {
    const prefix = `{"Pod":${pod},"Nodes":{"items":[{"metadata":{"name":"a1"},"x":"`;
    for (const bad of ['\u0001', '\n', '\\n', '\\u0041', '\\x']) {
      for (let at = 0; at <= 24; at++) {
        const text = `${prefix}${'y'.repeat(at)}${bad}${'z'.repeat(24 - at)}"}]},"NodeNames":null}`;
        for (const memory of MEMORIES) {
          for (const skew of [0, 1, 2, 3]) {
            const body = skewed(text, skew, memory);
            expect(scanOutcome(scanArgs, body), JSON.stringify({ bad, at, memory, skew })).to.deep.equal(
              scanOutcome(scanArgsReference, body),
            );
          }
        }
      }
    }
  });

  it('strings of every length up to 20, ending at every distance from the end of the body', () => {
    // Strings are read four bytes at a time while four remain; the last bytes are read one by one.
    for (let length = 0; length <= 20; length++) {
      for (let after = 0; after <= 5; after++) {
        for (const last of ['', '\u0001', '\\n', '\\"', '\\u00', '"']) {
          const text = `"${'y'.repeat(length)}${last}"${' '.repeat(after)}`;
          for (const memory of MEMORIES) {
            for (const skew of [0, 3]) {
              const body = skewed(text, skew, memory);
              expect(scanOutcome(scanArgs, body), JSON.stringify({ text, memory, skew })).to.deep.equal(
                scanOutcome(scanArgsReference, body),
              );
            }
          }
        }
      }
    }
  });

  it('node names, labels and NodeNames holding any string JSON.stringify can write', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text), { maxLength: 6 }),
        fc.nat(3),
        fc.constantFrom(...MEMORIES),
        (pairs, skew, memory) => {
          const items = pairs.map(
            ([name, value]) =>
              `{"metadata":{"name":${JSON.stringify(name)},"labels":{${JSON.stringify(value)}:${JSON.stringify(name)}}}}`,
          );
          const names = JSON.stringify(pairs.map(([name]) => name));
          for (const body of [nodesBody(...items), `{"Pod":${pod},"Nodes":null,"NodeNames":${names}}`]) {
            const b = skewed(body, skew, memory);
            expect(scanOutcome(scanArgs, b)).to.deep.equal(scanOutcome(scanArgsReference, b));
          }
        },
      ),
      { numRuns: 1000, seed: 5 },
    );
  });

  it('every truncation of a captured Nodes-mode body', () => {
    const body = wire('filter-nocache-clone-1.json');
    for (const memory of MEMORIES) {
      for (let n = 0; n <= body.length; n++) {
        const cut = skewed(body.subarray(0, n), n & 3, memory);
        expect(scanOutcome(scanArgs, cut), `${memory}, first ${n} bytes`).to.deep.equal(
          scanOutcome(scanArgsReference, cut),
        );
      }
    }
  });

  it('random bytes inserted into captured bodies and into JSON documents, at every alignment', () => {
    const captured = wire('filter-nocache-clone-1.json');
    const capturedNames = wire('filter-cache-clone-1.json');
    const pieces = [
      '"',
      '\\',
      '\\"',
      '\\u',
      '\\u12',
      ',',
      ':',
      '{',
      '}',
      '[',
      ']',
      ' ',
      '\n',
      '\t',
      '\u0000',
      '\u001f',
      '0',
      '-',
      'e',
      '.',
      'tr',
      'nul',
    ];
    const insert = fc.oneof(
      fc.constantFrom(...pieces).map((s) => Buffer.from(s)),
      fc.uint8Array({ minLength: 1, maxLength: 3 }).map((a) => Buffer.from(a)),
    );
    const doc = fc.oneof(
      fc.constant(captured),
      fc.constant(capturedNames),
      fc.json().map((j) => Buffer.from(j)),
      fc.json().map((j) => Buffer.from(JSON.stringify(JSON.parse(j), null, '\t'))),
    );
    fc.assert(
      fc.property(
        doc,
        fc.array(fc.tuple(fc.nat(), insert, fc.nat(2)), { maxLength: 3 }),
        fc.nat(3),
        fc.constantFrom(...MEMORIES),
        (d, edits, skew, memory) => {
          let b = d;
          for (const [at, bytes, drop] of edits) {
            const i = at % (b.length + 1);
            b = Buffer.concat([b.subarray(0, i), bytes, b.subarray(Math.min(i + drop, b.length))]);
          }
          const body = skewed(b, skew, memory);
          expect(scanOutcome(scanArgs, body)).to.deep.equal(scanOutcome(scanArgsReference, body));
        },
      ),
      { numRuns: 3000, seed: 5 },
    );
  });
});
