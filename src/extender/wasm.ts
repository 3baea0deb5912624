/**
 * Request bodies in WebAssembly memory, and the scanner's `skip` compiled to WebAssembly for them
 * (`wasm/skip.ts`, built by `npm run build:wasm`). It crosses strings sixteen bytes at a time, and
 * validated a Nodes-mode body of 9 MB in 3.1 ms against 5.8 ms for the TypeScript scanner. A body
 * gets a memory of its own, so that memories never grow (growing one would detach every view of it)
 * and concurrent calls never share one; the handler's pool reuses them.
 */
import { readFileSync } from 'node:fs';

/** The part of the WebAssembly JavaScript API used here (TypeScript declares it only in its DOM library). */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    constructor(descriptor: { initial: number });
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  interface Global {
    readonly value: unknown;
  }
}

/** `wasm/skip.ts`'s `skip`: the end of the JSON value at memory offset `p`, within `[0, n)`, or -1. */
export type WasmSkip = (p: number, n: number, depth: number) => number;

interface SkipExports {
  readonly skip: WasmSkip;
  readonly BODY_START: WebAssembly.Global;
}

const WASM_FILE = new URL('./wasm/skip.wasm', import.meta.url);
const PAGE = 64 * 1024;

function compile(): WebAssembly.Module {
  let bytes: Buffer;
  try {
    bytes = readFileSync(WASM_FILE);
  } catch (err) {
    throw new Error(`${WASM_FILE.pathname} is missing: build it with npm run build:wasm (${String(err)})`);
  }
  return new WebAssembly.Module(bytes);
}

const MODULE = compile();
/** Where a body starts in its memory: the bytes below hold `skip`'s stack of open containers. */
const BODY_START = (
  new WebAssembly.Instance(MODULE, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } })
    .exports as unknown as SkipExports
).BODY_START.value as number;

const skips = new WeakMap<ArrayBufferLike, WasmSkip>();

/** A buffer of `size` bytes (zeroed) in a WebAssembly memory of its own, which `wasmSkipOf` scans. */
export function wasmBuffer(size: number): Buffer {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((BODY_START + size) / PAGE) });
  const { skip } = new WebAssembly.Instance(MODULE, { env: { memory } }).exports as unknown as SkipExports;
  skips.set(memory.buffer, skip);
  return Buffer.from(memory.buffer, BODY_START, size);
}

/**
 * A request body's buffer: in WebAssembly memory (`allocate`, `wasmBuffer` by default), or on the
 * heap when no WebAssembly memory can be had (V8 caps the address space that all of them reserve
 * together, ~16,000 memories on the development machine); the scanner then skips in TypeScript.
 */
export function bodyBuffer(size: number, allocate: (size: number) => Buffer = wasmBuffer): Buffer {
  try {
    return allocate(size);
  } catch {
    return Buffer.allocUnsafeSlow(size);
  }
}

/** The WebAssembly `skip` for the memory `buf` is in, when it is one of `wasmBuffer`'s. */
export function wasmSkipOf(buf: Buffer): WasmSkip | undefined {
  return skips.get(buf.buffer);
}
