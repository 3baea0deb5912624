import { expect } from 'chai';
import { bodyBuffer, wasmBuffer, wasmSkipOf } from '../../src/extender/wasm.js';

describe('wasm: request bodies in WebAssembly memory, with the scanner’s skip compiled for them', () => {
  it('gives a zeroed buffer of the size asked, in a memory of its own', () => {
    const a = wasmBuffer(100_000);
    const b = wasmBuffer(100_000);
    expect(a.length).to.equal(100_000);
    expect(a.every((byte) => byte === 0)).to.equal(true);
    a.fill(0x61);
    expect(b.every((byte) => byte === 0)).to.equal(true);
    expect(a.buffer).to.not.equal(b.buffer);
  });

  it('finds the skip of a buffer from the buffer and from any view of it, and none for a heap buffer', () => {
    const buf = wasmBuffer(64);
    expect(wasmSkipOf(buf)).to.be.a('function');
    expect(wasmSkipOf(buf.subarray(5, 9))).to.equal(wasmSkipOf(buf));
    expect(wasmSkipOf(wasmBuffer(64))).to.not.equal(wasmSkipOf(buf));
    expect(wasmSkipOf(Buffer.alloc(64))).to.equal(undefined);
  });

  it('gives bodies WebAssembly memory, and heap memory when none can be had', () => {
    expect(wasmSkipOf(bodyBuffer(1000))).to.be.a('function');
    const onHeap = bodyBuffer(1000, () => {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    });
    expect(onHeap.length).to.equal(1000);
    expect(wasmSkipOf(onHeap)).to.equal(undefined);
  });

  const cases: readonly { name: string; text: string; at: number; want: number }[] = [
    { name: 'an object, to its closing brace', text: '{"a":[1,"x",{}]} ,', at: 0, want: 16 },
    { name: 'a value after whitespace', text: 'x: \n "yz" 1', at: 2, want: 9 },
    { name: 'a number that ends the bytes given', text: '-12.5e3', at: 0, want: 7 },
    { name: 'a string with escapes longer than sixteen bytes', text: `"${'\\u00e9\\n'.repeat(4)}"`, at: 0, want: 34 },
    { name: 'a string not closed before the end', text: '"abc', at: 0, want: -1 },
    { name: 'an object with a non-string key', text: '{1:2}', at: 0, want: -1 },
    { name: 'a control character in a long string', text: `"${'a'.repeat(20)}\u0001"`, at: 0, want: -1 },
  ];
  for (const tc of cases) {
    it(`skips ${tc.name}`, () => {
      const bytes = Buffer.from(tc.text);
      const buf = wasmBuffer(bytes.length + 3).subarray(3);
      bytes.copy(buf);
      const skip = wasmSkipOf(buf);
      if (skip === undefined) throw new Error('no skip for a wasmBuffer');
      const base = buf.byteOffset;
      const end = skip(tc.at + base, bytes.length + base, 0);
      expect(end < 0 ? -1 : end - base).to.equal(tc.want);
    });
  }
});
