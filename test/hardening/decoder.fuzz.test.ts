/**
 * Fuzzing the request decoder in-process: it answers every body with a decoded request or a
 * DecodeError (HTTP 400), never anything else; it decodes every body JSON.parse reads the way a
 * plain JSON.parse decoder would (of the Pod, the parts decisions read); it decodes a body in
 * WebAssembly memory (where the server reads bodies, and the scanner skips in WebAssembly) as it
 * decodes the same bytes on the heap; and no body pollutes a prototype, whether decoded alone or
 * decided by the whole app.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createApp } from '../../src/app.js';
import { StaticStore } from '../../src/cluster/static.js';
import { loadConfig } from '../../src/config/config.js';
import { type DecodedArgs, DecodeError, decodeArgs } from '../../src/extender/decode.js';
import { foldKey } from '../../src/extender/scan.js';
import { wasmBuffer } from '../../src/extender/wasm.js';
import { createLogger } from '../../src/observability/logger.js';
import { decodedPod } from '../support/decoded-pod.js';
import { type Running, serveApp } from '../support/http.js';
import { send } from './support/client.js';
import {
  type Body,
  bigBody,
  CLUSTER,
  contractViolation,
  hostileBody,
  preview,
  prototypesClean,
  runs,
  SEED,
} from './support/fuzz.js';

/**
 * What a decode comes to, as plain data: an error, or the pod and the nodes with their labels. The
 * same for the bytes on the heap and in WebAssembly memory, or it throws.
 */
function outcome(bytes: Buffer): unknown {
  const onHeap = decoded(bytes);
  const inWasm = wasmBuffer(bytes.length);
  bytes.copy(inWasm);
  expect(decoded(inWasm), 'decoded in WebAssembly memory').to.deep.equal(onHeap);
  return onHeap;
}

function decoded(bytes: Buffer): unknown {
  let args: DecodedArgs;
  try {
    args = decodeArgs(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return { error: true };
    throw err;
  }
  return args.mode === 'names'
    ? { pod: args.pod, names: args.nodeNames }
    : { pod: args.pod, nodes: args.nodes.map((n) => ({ name: n.name, labels: n.labels, json: n.json() })) };
}

const printable = (b: Body) => Object.assign(b, { [fc.toStringMethod]: () => preview(b.kind, b.bytes) });

describe('fuzz: the request decoder (in-process)', function () {
  this.timeout(300_000);

  it('answers every hostile body with a decoded request or a DecodeError, and pollutes no prototype', () => {
    fc.assert(
      fc.property(hostileBody.map(printable), (b) => {
        outcome(b.bytes);
        return prototypesClean();
      }),
      { seed: SEED, numRuns: runs(3_000) },
    );
  });

  it('the same for nesting up to 100,000 deep and strings and lists of megabytes', () => {
    fc.assert(
      fc.property(bigBody.map(printable), (b) => {
        outcome(b.bytes);
        return prototypesClean();
      }),
      { seed: SEED, numRuns: runs(40) },
    );
  });

  it('decodes every body as a plain JSON.parse decoder does, where that one can tell', () => {
    fc.assert(
      fc.property(hostileBody.map(printable), (b) => {
        const want = parsedOutcome(b.bytes);
        if (want !== undefined) expect(outcome(b.bytes)).to.deep.equal(want);
      }),
      { seed: SEED, numRuns: runs(1_000) },
    );
  });
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `outcome` by JSON.parse, for NodeNames bodies (the decoder's own way in for them until the
 * scanner stopped decoding names): undefined when it cannot tell — the body is not JSON to
 * JSON.parse, carries Nodes (echoed as bytes, which JSON.parse does not keep), or spells one key
 * twice in different case (which came last is lost).
 */
function parsedOutcome(bytes: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(value)) return { error: true };
  const fields = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    const field = foldKey(key);
    if (field !== 'pod' && field !== 'nodes' && field !== 'nodenames') continue;
    if (fields.has(field)) return undefined;
    fields.set(field, v);
  }
  const pod = fields.get('pod');
  const names = fields.get('nodenames') ?? null;
  if ((fields.get('nodes') ?? null) !== null) return undefined;
  if (!isObject(pod) || names === null) return { error: true };
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return { error: true };
  return { pod: decodedPod(pod), names };
}

describe('fuzz: __proto__ and constructor keys through the whole app (in-process)', function () {
  this.timeout(300_000);
  let server: Running;
  const uncaught: unknown[] = [];
  const trap = (err: unknown) => uncaught.push(err);

  before(async () => {
    const store = new StaticStore();
    for (const o of CLUSTER) store.add(o);
    server = await serveApp(createApp({ store, config: loadConfig(), logger: createLogger('silent') }));
    process.on('uncaughtException', trap);
  });
  after(async () => {
    process.off('uncaughtException', trap);
    await server.close();
  });

  it('every reply keeps the contract, no prototype is polluted, nothing escapes', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBody.map(printable),
        fc.constantFrom<'filter' | 'prioritize'>('filter', 'prioritize'),
        async (b, verb) => {
          const answer = await send(server.url, { path: `/${verb}`, body: b.bytes });
          const broken = contractViolation(verb, 'POST', b.bytes, answer);
          if (broken !== undefined) throw new Error(broken);
          return prototypesClean() && uncaught.length === 0;
        },
      ),
      { seed: SEED, numRuns: runs(1_000), endOnFailure: true },
    );
    expect({ clean: prototypesClean(), uncaught }).to.deep.equal({ clean: true, uncaught: [] });
  });
});
