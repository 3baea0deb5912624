/**
 * Shared pieces of the fuzz suites: the seed and budget (fixed, overridable from the environment
 * for `npm run fuzz`), a small cluster with a constrained and an unconstrained pod, generators of
 * hostile ExtenderArgs bodies, and the checks every reply must pass.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { KubeObject, Pod } from '../../../src/cluster/types.js';
import { makeClass, makeNode, makePod, makePV, makePVC } from '../../support/builders.js';

/** Fixed unless `FUZZ_SEED` is set; fast-check prints it (and the failing path) with every counterexample. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);

/** `npm test` runs the CI budget (1); `npm run fuzz` multiplies it (`FUZZ_SCALE`, default 10 there). */
export const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));

/** Runs for a generator family, scaled. */
export const runs = (ci: number): number => Math.round(ci * SCALE);

export const NODES = {
  a1: makeNode('a1').zone('zone-a').obj(),
  a2: makeNode('a2').zone('zone-a').obj(),
  b1: makeNode('b1').zone('zone-b').obj(),
};
export const NODE_NAMES = ['a1', 'a2', 'b1'] as const;

/** A zone-a clone source, its clone, and a pod for each: constrained (`db/clone-pod`) and not (`db/plain`). */
export const CLUSTER: readonly KubeObject[] = [
  ...Object.values(NODES),
  makeClass('wffc').driver('ebs.csi.aws.com').obj(),
  makePV('pv-src').zone('zone-a').csi('ebs.csi.aws.com', 'vol-src').boundTo('db/data').obj(),
  makePVC('db/data').class('wffc').boundTo('pv-src').obj(),
  makePVC('db/copy').class('wffc').cloneOf('data').obj(),
];

export const PODS: Readonly<Record<string, Pod>> = {
  clone: makePod('db/clone-pod').claim('copy').obj(),
  plain: makePod('db/plain').obj(),
  missing: makePod('db/ghost-pod').claim('ghost').obj(),
};

/** The sentinel: a valid filter call whose answer is known (zone-a nodes pass, b1 is rejected). */
export const SENTINEL = JSON.stringify({ Pod: PODS.clone, Nodes: null, NodeNames: [...NODE_NAMES] });

// ---- bodies --------------------------------------------------------------------------------------

/** A generated request body and the family it comes from. */
export interface Body {
  readonly kind: string;
  readonly bytes: Buffer;
}

/** How fast-check prints a counterexample: its family, size and first bytes (bodies reach megabytes). */
export function preview(kind: string, bytes: Buffer | undefined): string {
  if (bytes === undefined) return `${kind} (no body)`;
  const head = JSON.stringify(bytes.subarray(0, 300).toString('latin1'));
  return `${kind} (${bytes.length} bytes): ${head}${bytes.length > 300 ? '…' : ''}`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A well-formed ExtenderArgs as a value: either mode, any pod of `PODS`, any subset of nodes (plus unknown names). */
export const validArgs: fc.Arbitrary<Record<string, Json>> = fc
  .record({
    pod: fc.constantFrom(...Object.values(PODS)),
    names: fc.subarray([...NODE_NAMES, 'ghost', 'c9']),
    mode: fc.constantFrom('names', 'nodes'),
    camel: fc.boolean(),
  })
  .map(({ pod, names, mode, camel }) => {
    const nodes =
      mode === 'nodes'
        ? { items: names.map((n) => (Object.hasOwn(NODES, n) ? NODES[n as keyof typeof NODES] : makeNode(n).obj())) }
        : null;
    const nodeNames = mode === 'names' ? names : null;
    const args = camel ? { pod, nodes, nodeNames } : { Pod: pod, Nodes: nodes, NodeNames: nodeNames };
    return JSON.parse(JSON.stringify(args)) as Record<string, Json>;
  });

/** Values of every JSON type, including wrong ones for any field, and a few large ones. */
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  {
    arbitrary: fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, '', 'x', [], {}, [null], [1, 'a'], { a: 1 }),
    weight: 6,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.constantFrom<Json>({ __proto__: null, polluted: 'yes' } as unknown as Json), weight: 1 },
);

/** Every path (list of keys) inside `v`, the root excluded. */
function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      paths(x, [...prefix, i], out);
    });
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      paths(x, [...prefix, k], out);
    }
  }
  return out;
}

/** A copy of `root` with the value at `path` replaced (or deleted when `value` is undefined). */
function setAt(root: Json, path: readonly (string | number)[], value: Json | undefined): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  let at: Json = copy;
  for (const key of path.slice(0, -1)) at = (at as Record<string | number, Json>)[key] as Json;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) {
    if (Array.isArray(at)) at.splice(Number(last), 1);
    else delete (at as Record<string, Json>)[last];
  } else if (Array.isArray(at)) at[Number(last)] = value;
  // defineProperty: a generated `__proto__` value must become data, not the object's prototype.
  else Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const text = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** A valid body with one value of the wrong type (or a missing field) at any depth of Pod, Nodes or NodeNames. */
const wrongType: fc.Arbitrary<Body> = fc
  .tuple(validArgs, fc.nat(), fc.option(wrongValue, { freq: 8, nil: undefined }))
  .map(([args, i, value]) => {
    const all = paths(args);
    const path = all[i % all.length] ?? ['Pod'];
    return { kind: `wrong type at ${path.join('.')}`, bytes: text(setAt(args, path, value)) };
  });

/** A valid body cut short anywhere. */
const truncated: fc.Arbitrary<Body> = fc.tuple(validArgs, fc.nat()).map(([args, i]) => {
  const whole = text(args);
  return { kind: 'truncated', bytes: whole.subarray(0, i % whole.length) };
});

/** Random JSON documents (objects, arrays, scalars), as ExtenderArgs or on their own. */
const randomJson: fc.Arbitrary<Body> = fc.oneof(
  fc.json({ maxDepth: 4 }).map((j) => ({ kind: 'random JSON', bytes: Buffer.from(j) })),
  fc
    .dictionary(
      fc.constantFrom('Pod', 'pod', 'Nodes', 'nodes', 'NodeNames', 'nodeNames', 'Extra'),
      fc.jsonValue({ maxDepth: 3 }),
    )
    .map((o) => ({ kind: 'random ExtenderArgs-shaped JSON', bytes: text(o) })),
);

/** Top-level keys in any spelling, repeated, with values good or bad, written as text so duplicates survive. */
const duplicateKeys: fc.Arbitrary<Body> = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'Pod',
        'pod',
        'POD',
        'Nodes',
        'nodes',
        'NodeNames',
        'nodenames',
        'NodeName\u017f',
        'NODENAMES',
        '__proto__',
        'constructor',
        'prototype',
      ),
      fc.oneof(
        fc.constant(JSON.stringify(PODS.clone)),
        fc.constant(JSON.stringify(PODS.plain)),
        fc.subarray([...NODE_NAMES, 'ghost']).map((n) => JSON.stringify(n)),
        fc.constant(JSON.stringify({ items: [NODES.a1, NODES.b1] })),
        fc.constant('null'),
        fc.constant('{"polluted":"yes"}'),
        wrongValue.map((v) => JSON.stringify(v)),
      ),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((pairs) => ({
    kind: 'duplicate keys',
    bytes: Buffer.from(`{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  }));

/** `"__proto__"` / `"constructor"` members spliced into any object of a valid body (labels, metadata, nodes...). */
const protoKeys: fc.Arbitrary<Body> = fc
  .tuple(
    validArgs,
    fc.nat(),
    fc.constantFrom(
      '"__proto__":{"polluted":"yes"}',
      '"constructor":{"prototype":{"polluted":"yes"}}',
      '"__proto__":"polluted"',
      '"prototype":{"polluted":"yes"}',
      '"__proto__":{"__proto__":{"polluted":"yes"}}',
      '"__proto__":[1,2]',
    ),
  )
  .map(([args, i, member]) => {
    const whole = JSON.stringify(args);
    const opens = [...whole.matchAll(/\{/g)].map((m) => m.index);
    const at = (opens[i % opens.length] ?? 0) + 1;
    const rest = whole.slice(at);
    return {
      kind: '__proto__ keys',
      bytes: Buffer.from(`${whole.slice(0, at)}${member}${rest.startsWith('}') ? '' : ','}${rest}`),
    };
  });

/** Bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates, 0xFF) anywhere in a valid body. */
const invalidUtf8: fc.Arbitrary<Body> = fc
  .tuple(
    validArgs,
    fc.nat(),
    fc.constantFrom(
      [0x80],
      [0xff],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xfe, 0xfe],
    ),
    fc.boolean(),
  )
  .map(([args, i, bad, inString]) => {
    const whole = text(args);
    // Inside a string (after a quote) the body stays JSON; elsewhere it is a syntax error.
    const quotes = [...whole.toString('latin1').matchAll(/"/g)].map((m) => m.index);
    const at = inString ? (quotes[i % Math.max(1, quotes.length)] ?? 0) + 1 : i % (whole.length + 1);
    return {
      kind: 'invalid UTF-8',
      bytes: Buffer.concat([whole.subarray(0, at), Buffer.from(bad), whole.subarray(at)]),
    };
  });

/** Nesting of `depth` arrays or objects, as a whole body or as the value of a Pod field. */
export function nested(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`;
}

const deepNesting: fc.Arbitrary<Body> = fc
  .tuple(
    fc.constantFrom(9_999, 10_000, 10_001, 100_000),
    fc.constantFrom<'array' | 'object'>('array', 'object'),
    fc.constantFrom('body', 'pod', 'labels', 'names', 'items'),
  )
  .map(([depth, shape, where]) => {
    const deep = nested(depth, shape);
    const pod = JSON.stringify(PODS.clone);
    const bodies: Record<string, string> = {
      body: deep,
      pod: `{"Pod":${pod.slice(0, -1)},"x":${deep}},"Nodes":null,"NodeNames":["a1"]}`,
      labels: `{"Pod":${pod},"Nodes":{"items":[{"metadata":{"name":"a1","labels":${deep}}}]},"NodeNames":null}`,
      names: `{"Pod":${pod},"Nodes":null,"NodeNames":${deep}}`,
      items: `{"Pod":${pod},"Nodes":{"items":${deep}},"NodeNames":null}`,
    };
    return { kind: `nesting ${depth} deep (${shape}) in ${where}`, bytes: Buffer.from(bodies[where] as string) };
  });

/** Large strings and arrays at the places a decoder iterates: names, labels, volumes. */
const huge: fc.Arbitrary<Body> = fc
  .tuple(
    fc.constantFrom('name', 'label', 'names', 'volumes', 'items', 'pod string'),
    fc.constantFrom(10_000, 200_000, 2_000_000),
  )
  .map(([where, size]) => {
    const long = 'x'.repeat(size);
    const pod = PODS.clone;
    const n = Math.floor(size / 20);
    const bodies: Record<string, unknown> = {
      name: { Pod: pod, Nodes: null, NodeNames: [long, 'a1'] },
      label: {
        Pod: pod,
        Nodes: { items: [{ metadata: { name: 'a1', labels: { [ZONE_KEY]: long } } }] },
        NodeNames: null,
      },
      names: { Pod: pod, Nodes: null, NodeNames: Array.from({ length: n }, (_, i) => `n${i}`) },
      volumes: {
        Pod: {
          ...pod,
          spec: {
            volumes: Array.from({ length: n }, (_, i) => ({
              name: `v${i}`,
              persistentVolumeClaim: { claimName: `c${i}` },
            })),
          },
        },
        Nodes: null,
        NodeNames: [...NODE_NAMES],
      },
      items: {
        Pod: pod,
        Nodes: { items: Array.from({ length: Math.floor(n / 4) }, (_, i) => makeNode(`n${i}`).obj()) },
        NodeNames: null,
      },
      'pod string': { Pod: { ...pod, metadata: { name: long, namespace: long } }, Nodes: null, NodeNames: ['a1'] },
    };
    return { kind: `huge ${where} (${size})`, bytes: text(bodies[where]) };
  });

const ZONE_KEY = 'topology.kubernetes.io/zone';

const emptyish: fc.Arbitrary<Body> = fc
  .constantFrom('', ' ', '\n\t ', 'null', '{}', '[]', '""', '0', '{"Pod":{}}', '\ufeff{}')
  .map((s) => ({ kind: 'empty or trivial', bytes: Buffer.from(s) }));

/** Every family of hostile bodies, weighted so that each is well represented in a few thousand runs. */
export const hostileBody: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: validArgs.map((a) => ({ kind: 'valid', bytes: text(a) })), weight: 3 },
  { arbitrary: wrongType, weight: 8 },
  { arbitrary: truncated, weight: 3 },
  { arbitrary: randomJson, weight: 3 },
  { arbitrary: duplicateKeys, weight: 3 },
  { arbitrary: protoKeys, weight: 3 },
  { arbitrary: invalidUtf8, weight: 2 },
  { arbitrary: emptyish, weight: 1 },
);

/** Bodies that are expensive to send: run fewer of them. */
export const bigBody: fc.Arbitrary<Body> = fc.oneof(deepNesting, huge);

// ---- replies ---------------------------------------------------------------------------------------

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Text a reply must never contain: stack frames, paths of the installation, Node internals, error
 * class names. (Replies may quote the request — a JSON syntax error shows where — so the patterns
 * are ones the generators never produce.)
 */
export const INTERNALS = new RegExp(
  [
    String.raw`\n\s+at `,
    'node:internal',
    'file://',
    REPO.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    String.raw`\b(Type|Range|Reference|Syntax)Error\b`,
  ].join('|'),
);

/** Every string in `v` (keys and values), to bound what node names a reply may mention. Iterative: bodies nest 100,000 deep. */
export function stringsIn(root: unknown): Set<string> {
  const out = new Set<string>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) todo.push(...v);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.add(k);
        todo.push(x);
      }
    }
  }
  return out;
}

/** The node names a body could be asking about (every string in it), or undefined when it is not JSON. */
export function possibleNames(bytes: Buffer): Set<string> | undefined {
  try {
    return stringsIn(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined;
  }
}

export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

const FILTER_KEYS = ['Nodes', 'NodeNames', 'FailedNodes', 'FailedAndUnresolvableNodes', 'Error'];

/**
 * Why `answer` breaks the contract for a call of `verb` with `bytes` (undefined: it does not).
 * Errors are 400/405/413/415 with a JSON `{"error": string}` and no internals; a 200 is a
 * well-formed reply of the verb whose node names come from the request.
 */
export function contractViolation(
  verb: 'filter' | 'prioritize',
  method: string,
  bytes: Buffer,
  answer: Answer,
): string | undefined {
  const { status, body } = answer;
  if (INTERNALS.test(body)) return `reply leaks internals: ${body.slice(0, 300)}`;
  if (method === 'HEAD') return status === 405 ? undefined : `HEAD got ${status}`;
  if (!/^application\/json\b/.test(answer.contentType ?? '')) return `content-type ${answer.contentType}`;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return `reply is not JSON: ${body.slice(0, 200)}`;
  }
  if (status !== 200) {
    if (![400, 405, 413, 415].includes(status)) return `status ${status}: ${body.slice(0, 200)}`;
    const keys = json !== null && typeof json === 'object' ? Object.keys(json) : [];
    if (keys.length !== 1 || typeof (json as { error?: unknown }).error !== 'string')
      return `error body ${body.slice(0, 200)}`;
    return undefined;
  }
  if (method !== 'POST') return `${method} answered 200`;
  const names = possibleNames(bytes);
  if (names === undefined) return `200 for a body that is not JSON`;
  const unknown = (n: unknown) => typeof n !== 'string' || !names.has(n);
  if (verb === 'prioritize') {
    if (!Array.isArray(json)) return 'prioritize reply is not a list';
    for (const p of json as { Host?: unknown; Score?: unknown }[]) {
      if (unknown(p.Host) || !Number.isInteger(p.Score) || (p.Score as number) < 0 || (p.Score as number) > 10) {
        return `bad host priority ${JSON.stringify(p).slice(0, 200)}`;
      }
    }
    return undefined;
  }
  const reply = json as Record<string, unknown>;
  if (JSON.stringify(Object.keys(reply)) !== JSON.stringify(FILTER_KEYS))
    return `filter reply keys ${Object.keys(reply)}`;
  if (typeof reply.Error !== 'string') return 'Error is not a string';
  const passed =
    reply.Nodes === null
      ? (reply.NodeNames as unknown[] | null)
      : ((reply.Nodes as { items?: { metadata?: { name?: unknown } }[] }).items ?? []).map((n) => n.metadata?.name);
  if (reply.Error === '' && !Array.isArray(passed)) return 'no node list in a reply without Error';
  for (const n of passed ?? []) if (unknown(n)) return `passed node ${JSON.stringify(n)} not in the request`;
  for (const map of [reply.FailedNodes, reply.FailedAndUnresolvableNodes]) {
    if (map === null || typeof map !== 'object') return 'failed nodes not a map';
    for (const [n, why] of Object.entries(map))
      if (unknown(n) || typeof why !== 'string') return `failed node ${JSON.stringify(n)} not in the request`;
  }
  return undefined;
}

/** True when Object.prototype and Array.prototype carry nothing beyond their built-ins. */
export function prototypesClean(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    probe.polluted === undefined &&
    ([] as unknown as Record<string, unknown>).polluted === undefined &&
    Object.keys(Object.prototype).length === 0 &&
    Object.keys(Array.prototype).length === 0
  );
}
