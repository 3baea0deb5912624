/**
 * A validating single-pass scanner for ExtenderArgs request bodies. It checks that the whole body
 * is one valid JSON value (RFC 8259 grammar, nesting at most 10,000 deep like Go's encoding/json)
 * without building it, and records where the parts the extender needs are: the `Pod` value, the
 * byte range of every `Nodes.items[i]` with its `metadata.name` and the range of its
 * `metadata.labels`, and the `NodeNames` strings. A node is then echoed by copying its bytes, and
 * its labels are parsed only when a decision reads them.
 *
 * Key matching mirrors how the request would be read: ExtenderArgs keys case-insensitively with
 * Go's folding (Go decodes the untagged struct that way), keys inside the NodeList exactly (as
 * `JSON.parse` would, which is what this scanner replaces), and for every key the last duplicate
 * wins. Structural problems (a `Pod` that is not an object, …) are recorded per occurrence rather
 * than thrown, so that a later duplicate key can replace a bad value, and so that invalid JSON
 * anywhere in the body is reported first. Pure; no I/O.
 *
 * Speed: most of a Node list's bytes are inside strings, which `close` crosses four bytes at a
 * time; values the extender does not need are validated by `skip` without being decoded, and for a
 * body in WebAssembly memory (as the handler reads them) by `skip` compiled to WebAssembly
 * (`wasm.ts`), about twice as fast.
 */

import { isAscii } from 'node:buffer';
import { viewOf } from '../cluster/nodes.js';
import { type WasmSkip, wasmSkipOf } from './wasm.js';

/** The body is not one valid JSON value. `offset` is the byte where scanning stopped. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Go's encoding/json refuses documents nested deeper than this (scanner.go, maxNestingDepth). */
export const MAX_DEPTH = 10_000;

/** The JSON type of a value, from its first byte. */
export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/** Byte range `[start, end)` of one JSON value in the body, and its type. */
export interface ValueRange {
  readonly start: number;
  readonly end: number;
  readonly kind: JsonKind;
}

/** One element of `Nodes.items`. */
export interface ScannedNode {
  /** The element's bytes: `[start, end)`. */
  readonly start: number;
  readonly end: number;
  readonly kind: JsonKind;
  /** `metadata` of the element, when it is an object (last duplicate wins). */
  readonly metadata?: {
    /** `metadata.name`: its string value, or the kind of its non-string value; absent when there is none. */
    readonly name?: string | { readonly notString: JsonKind };
    /** `metadata.labels` (last duplicate wins), parsed on demand by the caller. */
    readonly labels?: ValueRange;
  };
}

/** What the `Nodes` value is: null, a NodeList object (with its `items`, if any), or something else. */
export type ScannedNodes =
  | { readonly kind: 'null' }
  | {
      readonly kind: 'object';
      readonly range: ValueRange;
      /** `items`: absent, null, a list of elements, or a value of another type. */
      readonly items: null | readonly ScannedNode[] | { readonly notArray: JsonKind } | undefined;
    }
  | { readonly kind: Exclude<JsonKind, 'object' | 'null'> };

/** What the `NodeNames` value is: null, a list (of strings when `allStrings`), or something else. */
export type ScannedNodeNames =
  | { readonly kind: 'null' }
  | { readonly kind: 'array'; readonly list: NameList; readonly allStrings: boolean }
  | { readonly kind: Exclude<JsonKind, 'array' | 'null'> };

/**
 * The strings of a scanned `NodeNames` list, kept where they are in the body and decoded only when
 * asked: a decision looks names up by their bytes, and a reply copies each name's literal from the
 * request (a JSON string literal decodes in Go to the same string wherever it is written).
 */
export class NameList {
  readonly #buf: Buffer;
  /** Per string: its opening quote, then its closing quote, negated when the string has an escape. */
  readonly #quotes: Int32Array;
  /** Whether every byte from the first string to the last is ASCII. */
  readonly #ascii: boolean;
  #strings: string[] | undefined;

  constructor(
    buf: Buffer,
    /** `buf` as a DataView, for reading it a word at a time. */
    readonly view: DataView,
    quotes: Int32Array,
    /** The whole list, brackets included. */
    readonly range: ValueRange,
  ) {
    this.#buf = buf;
    this.#quotes = quotes;
    this.#ascii =
      quotes.length === 0 || isAscii(buf.subarray(quotes[0], Math.abs(quotes[quotes.length - 1] as number)));
  }

  get length(): number {
    return this.#quotes.length / 2;
  }

  /** The request body the list is in. */
  get body(): Buffer {
    return this.#buf;
  }

  /**
   * Where the characters of string `k` are in `body` when its bytes are the name itself (ASCII, no
   * escape): the byte after its opening quote, or -1. They end at `literalEnd(k) - 1`.
   */
  plainStart(k: number): number {
    const close = this.#quotes[2 * k + 1] as number;
    return close < 0 || !this.#ascii ? -1 : (this.#quotes[2 * k] as number) + 1;
  }

  /** Where string `k`'s literal starts in `body` (its opening quote). */
  literalStart(k: number): number {
    return this.#quotes[2 * k] as number;
  }

  /** Where string `k`'s literal ends in `body` (after its closing quote). */
  literalEnd(k: number): number {
    return Math.abs(this.#quotes[2 * k + 1] as number) + 1;
  }

  /** The value of string `k`. */
  name(k: number): string {
    return this.strings()[k] as string;
  }

  /**
   * Every value, decoded once. When the strings are ASCII, their bytes are decoded once and each
   * value is a slice of that text (decoding ASCII as Latin-1 is decoding it as UTF-8); otherwise
   * each one is decoded by itself, invalid UTF-8 becoming U+FFFD as in `stringValue`. A string with
   * an escape is decoded by JSON.parse, quotes included.
   */
  strings(): string[] {
    if (this.#strings !== undefined) return this.#strings;
    const out: string[] = [];
    const quotes = this.#quotes;
    const buf = this.#buf;
    if (quotes.length > 0) {
      const from = quotes[0] as number;
      const to = Math.abs(quotes[quotes.length - 1] as number) + 1;
      const text = this.#ascii ? buf.toString('latin1', from, to) : undefined;
      for (let i = 0; i < quotes.length; i += 2) {
        const open = quotes[i] as number;
        const close = quotes[i + 1] as number;
        const escaped = close < 0;
        const start = escaped ? open : open + 1;
        const end = escaped ? 1 - close : close;
        const raw = text === undefined ? buf.toString('utf8', start, end) : text.slice(start - from, end - from);
        out.push(escaped ? (JSON.parse(raw) as string) : raw);
      }
    }
    this.#strings = out;
    return out;
  }
}

/** The parts of an ExtenderArgs body (each: the last occurrence of its key; absent keys are undefined). */
export interface ScannedArgs {
  /** The top-level value's type; only an object has the fields below. */
  readonly kind: JsonKind;
  readonly pod?: ValueRange;
  readonly nodes?: ScannedNodes;
  readonly nodeNames?: ScannedNodeNames;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const ITEMS = [Buffer.from('items')];
const METADATA = [Buffer.from('metadata')];
const NAME_LABELS = [Buffer.from('name'), Buffer.from('labels')];

/** Classes of bytes inside a JSON string: ORDINARY, or one that ends the slow loop (`"`, `\`, control characters). */
const ORDINARY = 0;
const STRING_BYTE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_BYTE[c] = 1;
STRING_BYTE[QUOTE] = 1;
STRING_BYTE[BACKSLASH] = 1;

/** Bytes that may follow a `\` in a JSON string (besides `u`). */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** `nodeNames`' scratch list of quote offsets (bodies are far below 2 GiB), kept for the next body. */
let quoteScratch = new Int32Array(1024);

/**
 * The containers `skip` has open, innermost last: 1 for an object, 0 for an array. One shared
 * stack suffices because a scan runs to its end synchronously and `skip` never nests.
 */
const OPEN = new Uint8Array(MAX_DEPTH + 1);

/**
 * Folds an ExtenderArgs key the way Go's encoding/json compares it with a field name
 * (bytes.EqualFold: simple Unicode case folding). For the fields Pod, Nodes and NodeNames only
 * `s` has a non-ASCII fold partner, U+017F LATIN SMALL LETTER LONG S.
 */
export function foldKey(key: string): string {
  return key.toLowerCase().replaceAll('\u017f', 's');
}

function kindOf(c: number | undefined): JsonKind {
  switch (c) {
    case LBRACE:
      return 'object';
    case LBRACKET:
      return 'array';
    case QUOTE:
      return 'string';
    case 0x74: // t
    case 0x66: // f
      return 'boolean';
    case 0x6e: // n
      return 'null';
    default:
      return 'number';
  }
}

/**
 * Reads positions only forward. Hot paths read `bytes` (a plain Uint8Array view, so element loads
 * stay monomorphic) with explicit bounds checks (a load past the end would make them generic), and
 * cross strings four bytes at a time through `view`.
 */
class Scanner {
  pos = 0;
  /** Whether the string most recently scanned by `string()` contained an escape. */
  escaped = false;
  readonly bytes: Uint8Array;
  readonly n: number;
  /** The body for reading four bytes at any offset (little-endian: the first byte is the lowest). */
  readonly view: DataView;
  /** `skip` in WebAssembly, for a body in WebAssembly memory; its offsets are `buf`'s plus `buf.byteOffset`. */
  readonly wasmSkip: WasmSkip | undefined;
  constructor(readonly buf: Buffer) {
    this.n = buf.length;
    this.bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    this.view = viewOf(buf);
    this.wasmSkip = wasmSkipOf(buf);
  }

  fail(message: string): never {
    if (this.pos >= this.buf.length) throw new JsonSyntaxError('unexpected end of JSON input', this.buf.length);
    throw new JsonSyntaxError(
      `${message} (found ${JSON.stringify(String.fromCharCode(this.buf[this.pos] ?? 0))})`,
      this.pos,
    );
  }

  /** `fail` with the scan stopped at `p`. */
  failAt(p: number, message: string): never {
    this.pos = p;
    return this.fail(message);
  }

  /** Returns the offset of the first byte at or after `p` that is not JSON whitespace. */
  spaceEnd(p: number): number {
    const bytes = this.bytes;
    const n = this.n;
    while (p < n && isSpace(bytes[p] as number)) p++;
    return p;
  }

  /** Skips JSON whitespace (space, tab, newline, carriage return) and returns the next byte, or -1 at the end. */
  ws(): number {
    const p = this.spaceEnd(this.pos);
    this.pos = p;
    return p < this.n ? (this.bytes[p] as number) : -1;
  }

  expect(byte: number, what: string): void {
    if (this.ws() !== byte) this.fail(`expected ${what}`);
    this.pos++;
  }

  /**
   * Scans a string whose opening quote is at `open`; returns the offset of the closing quote.
   * Rejects control characters and invalid escapes, as JSON requires; sets `escaped` when the
   * string has an escape (and leaves it alone otherwise).
   *
   * Reads four bytes at a time up to the first that is a quote, a backslash or below 0x20: with
   * `t = w ^ 0x02020202` a quote or control byte is exactly a byte of `t` below 0x21, with
   * `u = w ^ 0x5c5c5c5c` a backslash is a zero byte of `u`, and the lowest set bit of
   * `((t - 0x21212121) & ~t | (u - 0x01010101) & ~u) & 0x80808080` marks the first of them (a
   * borrow can only set bits above the byte that caused it). When that byte is the quote, it closes
   * the string. Strings with escapes or control characters, and the last bytes of the body, are
   * left to `closeSlowly`. (Finding backslashes here rather than with memchr ahead of the scan saves
   * a second pass over a Nodes-mode body, most of which is strings.)
   */
  close(open: number): number {
    const view = this.view;
    for (let s = open + 1, end = this.n - 4; s <= end; s += 4) {
      const w = view.getInt32(s, true);
      const t = w ^ 0x02020202;
      const u = w ^ 0x5c5c5c5c;
      const stop = (((t - 0x21212121) & ~t) | ((u - 0x01010101) & ~u)) & 0x80808080;
      if (stop === 0) continue;
      const q = s + ((31 - Math.clz32(stop & -stop)) >> 3);
      if (this.bytes[q] === QUOTE) return q;
      break;
    }
    return this.closeSlowly(open);
  }

  /** `close` one byte at a time; reports the first problem in the string, at its offset. */
  closeSlowly(open: number): number {
    const bytes = this.bytes;
    const n = this.n;
    let p = open + 1;
    let escaped = false;
    for (;;) {
      while (p < n && STRING_BYTE[bytes[p] as number] === ORDINARY) p++;
      if (p >= n) this.failAt(p, 'unterminated string');
      const c = bytes[p] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = p + 1 < n ? (bytes[p + 1] as number) : -1;
        if (e === 0x75) {
          // \uXXXX: four hex digits (unpaired surrogates are accepted, as by JSON.parse and Go).
          if (
            !(
              p + 5 < n &&
              isHex(bytes[p + 2] as number) &&
              isHex(bytes[p + 3] as number) &&
              isHex(bytes[p + 4] as number) &&
              isHex(bytes[p + 5] as number)
            )
          ) {
            this.failAt(Math.min(p + 2, n), 'invalid \\u escape in string');
          }
          p += 6;
        } else if (e !== -1 && SIMPLE_ESCAPE[e] === 1) {
          p += 2;
        } else {
          this.failAt(Math.min(p + 1, n), 'invalid escape in string');
        }
        continue;
      }
      // Neither quote nor backslash: a control character.
      this.failAt(p, 'control character in string');
    }
    if (escaped) this.escaped = true;
    return p;
  }

  /**
   * Scans a string whose opening quote is at `pos`; leaves `pos` after the closing quote and
   * returns the offset of the closing quote. Sets `escaped`.
   */
  string(): number {
    this.escaped = false;
    const q = this.close(this.pos);
    this.pos = q + 1;
    return q;
  }

  /** Scans a string at `pos` and returns its value. */
  stringValue(): string {
    const start = this.pos;
    const close = this.string();
    return this.escaped
      ? (JSON.parse(this.buf.toString('utf8', start, close + 1)) as string)
      : this.buf.toString('utf8', start + 1, close);
  }

  /**
   * Scans an object key at `pos` (after whitespace) and the `:` after it; returns the index of the
   * entry of `wants` it equals exactly, or -1.
   */
  keyOf(wants: readonly Buffer[]): number {
    if (this.ws() !== QUOTE) this.fail('expected string key');
    const start = this.pos + 1;
    const close = this.string();
    this.expect(COLON, "':' after object key");
    if (this.escaped) {
      const key = JSON.parse(this.buf.toString('utf8', start - 1, close + 1)) as string;
      return wants.findIndex((w) => w.toString('latin1') === key);
    }
    const bytes = this.bytes;
    const length = close - start;
    for (let i = 0; i < wants.length; i++) {
      const want = wants[i] as Buffer;
      if (want.length !== length) continue;
      let k = 0;
      while (k < length && bytes[start + k] === want[k]) k++;
      if (k === length) return i;
    }
    return -1;
  }

  /**
   * Validates an object key at `p` (or after whitespace there) and the `:` after it; returns the
   * offset after the `:`.
   */
  memberKey(p: number): number {
    const bytes = this.bytes;
    const n = this.n;
    let c = p < n ? (bytes[p] as number) : -1;
    if (c !== QUOTE) {
      p = this.spaceEnd(p);
      c = p < n ? (bytes[p] as number) : -1;
      if (c !== QUOTE) this.failAt(p, 'expected string key');
    }
    p = this.close(p) + 1;
    c = p < n ? (bytes[p] as number) : -1;
    if (c !== COLON) {
      p = this.spaceEnd(p);
      c = p < n ? (bytes[p] as number) : -1;
      if (c !== COLON) this.failAt(p, "expected ':' after object key");
    }
    return p + 1;
  }

  /** Scans a key at `pos` (after whitespace) and the `:` after it; returns the key's text. */
  key(): string {
    if (this.ws() !== QUOTE) this.fail('expected string key');
    const key = this.stringValue();
    this.expect(COLON, "':' after object key");
    return key;
  }

  /**
   * After a member or element: consumes `,` (true: another follows) or the closing `close` (false).
   */
  more(close: number, what: string): boolean {
    const c = this.ws();
    this.pos++;
    if (c === COMMA) return true;
    if (c === close) return false;
    this.pos--;
    return this.fail(`expected ',' or '${what}'`);
  }

  /** Opens an object or array at `pos`: true when it has members (`pos` at the first), false when empty (`pos` after it). */
  open(close: number, depth: number): boolean {
    if (depth > MAX_DEPTH) this.fail(`exceeded max depth ${MAX_DEPTH}`);
    this.pos++;
    if (this.ws() === close) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** Validates a number starting at `p`; returns the offset after it. */
  number(p: number): number {
    const bytes = this.bytes;
    const n = this.n;
    if (p < n && bytes[p] === MINUS) p++;
    let c = p < n ? (bytes[p] as number) : -1;
    if (c === ZERO) c = ++p < n ? (bytes[p] as number) : -1;
    else if (c > ZERO && c <= NINE) {
      do c = ++p < n ? (bytes[p] as number) : -1;
      while (c >= ZERO && c <= NINE);
    } else this.failAt(p, 'invalid number');
    if (c === DOT) {
      c = ++p < n ? (bytes[p] as number) : -1;
      if (!(c >= ZERO && c <= NINE)) this.failAt(p, 'expected digit after decimal point');
      do c = ++p < n ? (bytes[p] as number) : -1;
      while (c >= ZERO && c <= NINE);
    }
    if (c === 0x65 || c === 0x45) {
      c = ++p < n ? (bytes[p] as number) : -1;
      if (c === PLUS || c === MINUS) c = ++p < n ? (bytes[p] as number) : -1;
      if (!(c >= ZERO && c <= NINE)) this.failAt(p, 'expected digit in exponent');
      do c = ++p < n ? (bytes[p] as number) : -1;
      while (c >= ZERO && c <= NINE);
    }
    return p;
  }

  /** Validates the literal `text` at `p`; returns the offset after it. */
  literal(p: number, text: string): number {
    const bytes = this.bytes;
    for (let i = 0; i < text.length; i++, p++) {
      if (p >= this.n || bytes[p] !== text.charCodeAt(i)) this.failAt(p, `invalid literal (expected ${text})`);
    }
    return p;
  }

  /**
   * Validates one value of any type at `pos` (or after whitespace there) and leaves `pos` after
   * it; `depth` is the nesting depth of the value's container. Iterative, so deep nesting cannot
   * overflow the call stack. Each step checks first for the byte that compact JSON (what Go's
   * encoding/json writes) has there, and only then for whitespace. A body in WebAssembly memory is
   * skipped there; only an invalid value is scanned here as well, to report where and why.
   */
  skip(depth: number): void {
    if (this.wasmSkip !== undefined) {
      const base = this.buf.byteOffset;
      const end = this.wasmSkip(this.pos + base, this.n + base, depth);
      if (end >= 0) {
        this.pos = end - base;
        return;
      }
    }
    const bytes = this.bytes;
    const n = this.n;
    let p = this.pos;
    let open = 0; // containers open in OPEN[0 … open-1]
    for (;;) {
      // A value starts at p (or after whitespace).
      const c = p < n ? (bytes[p] as number) : -1;
      if (c === QUOTE) p = this.close(p) + 1;
      else if (c === LBRACE || c === LBRACKET) {
        if (depth + open + 1 > MAX_DEPTH) this.failAt(p, `exceeded max depth ${MAX_DEPTH}`);
        const end = c === LBRACE ? RBRACE : RBRACKET;
        p++;
        let d = p < n ? (bytes[p] as number) : -1;
        if (isSpace(d)) {
          p = this.spaceEnd(p);
          d = p < n ? (bytes[p] as number) : -1;
        }
        if (d === end) p++;
        else {
          // Not empty: a value (an array) or a key and ':' (an object) follows.
          if (end === RBRACE) {
            OPEN[open++] = 1;
            p = this.memberKey(p);
          } else OPEN[open++] = 0;
          continue;
        }
      } else if (c >= ZERO ? c <= NINE : c === MINUS) p = this.number(p);
      else if (c === 0x74) p = this.literal(p, 'true');
      else if (c === 0x66) p = this.literal(p, 'false');
      else if (c === 0x6e) p = this.literal(p, 'null');
      else if (isSpace(c)) {
        p = this.spaceEnd(p);
        continue;
      } else this.failAt(p, 'expected a JSON value');
      // After a value: continue the innermost container, or close containers until one continues.
      for (;;) {
        if (open === 0) {
          this.pos = p;
          return;
        }
        const d = p < n ? (bytes[p] as number) : -1;
        const inObject = OPEN[open - 1] === 1;
        if (d === COMMA) {
          p = inObject ? this.memberKey(p + 1) : p + 1;
          break;
        }
        if (d === (inObject ? RBRACE : RBRACKET)) {
          p++;
          open--;
        } else if (isSpace(d)) p = this.spaceEnd(p);
        else this.failAt(p, inObject ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  /** Scans a value and returns its range and type. */
  range(depth: number): ValueRange {
    const kind = kindOf(this.ws());
    const start = this.pos;
    this.skip(depth);
    return { start, end: this.pos, kind };
  }

  /** `Nodes`: null, a NodeList object whose `items` are scanned node by node, or another value. */
  nodes(depth: number): ScannedNodes {
    const c = this.ws();
    if (c !== LBRACE) {
      const kind = kindOf(c);
      this.skip(depth);
      return { kind } as ScannedNodes;
    }
    const start = this.pos;
    let items: null | ScannedNode[] | { notArray: JsonKind } | undefined;
    if (this.open(RBRACE, depth + 1)) {
      do {
        if (this.keyOf(ITEMS) !== 0) {
          this.skip(depth + 1);
          continue;
        }
        const v = this.ws();
        if (v === LBRACKET) items = this.items(depth + 1);
        else {
          const kind = kindOf(v);
          this.skip(depth + 1);
          items = kind === 'null' ? null : { notArray: kind };
        }
      } while (this.more(RBRACE, '}'));
    }
    return { kind: 'object', range: { start, end: this.pos, kind: 'object' }, items };
  }

  /** `Nodes.items`: each element's range, and for objects their `metadata`. */
  items(depth: number): ScannedNode[] {
    const out: ScannedNode[] = [];
    if (!this.open(RBRACKET, depth + 1)) return out;
    do {
      const c = this.ws();
      const start = this.pos;
      if (c !== LBRACE) {
        this.skip(depth + 1);
        out.push({ start, end: this.pos, kind: kindOf(c) });
        continue;
      }
      let metadata: ScannedNode['metadata'];
      if (this.open(RBRACE, depth + 2)) {
        do {
          if (this.keyOf(METADATA) !== 0) this.skip(depth + 2);
          else if (this.ws() === LBRACE) metadata = this.metadata(depth + 2);
          else {
            this.skip(depth + 2);
            metadata = undefined;
          }
        } while (this.more(RBRACE, '}'));
      }
      out.push(
        metadata === undefined
          ? { start, end: this.pos, kind: 'object' }
          : { start, end: this.pos, kind: 'object', metadata },
      );
    } while (this.more(RBRACKET, ']'));
    return out;
  }

  /** A node's `metadata`: its `name` and the range of its `labels`. */
  metadata(depth: number): NonNullable<ScannedNode['metadata']> {
    let name: string | { notString: JsonKind } | undefined;
    let labels: ValueRange | undefined;
    if (this.open(RBRACE, depth + 1)) {
      do {
        const key = this.keyOf(NAME_LABELS);
        if (key === 0) {
          const c = this.ws();
          if (c === QUOTE) name = this.stringValue();
          else {
            name = { notString: kindOf(c) };
            this.skip(depth + 1);
          }
        } else if (key === 1) labels = this.range(depth + 1);
        else this.skip(depth + 1);
      } while (this.more(RBRACE, '}'));
    }
    const found: { name?: string | { notString: JsonKind }; labels?: ValueRange } = {};
    if (name !== undefined) found.name = name;
    if (labels !== undefined) found.labels = labels;
    return found;
  }

  /** The object at `pos`: the range of the last value of each key in `wants` (matched exactly), undefined when absent. */
  members(wants: readonly Buffer[], depth: number): (ValueRange | undefined)[] {
    const found = new Array<ValueRange | undefined>(wants.length).fill(undefined);
    if (this.open(RBRACE, depth + 1)) {
      do {
        const k = this.keyOf(wants);
        if (k < 0) this.skip(depth + 1);
        else found[k] = this.range(depth + 1);
      } while (this.more(RBRACE, '}'));
    }
    return found;
  }

  /** `NodeNames`: null, a list (of strings, hopefully), or another value. */
  nodeNames(depth: number): ScannedNodeNames {
    const c = this.ws();
    if (c !== LBRACKET) {
      const kind = kindOf(c);
      this.skip(depth);
      return { kind } as ScannedNodeNames;
    }
    // Each string's quotes, as [open, close] (close negated when the string has an escape),
    // gathered in a scratch array and copied out once: a growing list cost more than the scan.
    const start = this.pos;
    let quotes = quoteScratch;
    let n = 0;
    let allStrings = true;
    if (this.open(RBRACKET, depth + 1)) {
      do {
        if (this.ws() === QUOTE) {
          const open = this.pos;
          const close = this.string();
          if (n + 2 > quotes.length) {
            const grown = new Int32Array(2 * quotes.length);
            grown.set(quotes);
            quotes = grown;
            quoteScratch = grown;
          }
          quotes[n++] = open;
          quotes[n++] = this.escaped ? -close : close;
        } else {
          allStrings = false;
          this.skip(depth + 1);
        }
      } while (this.more(RBRACKET, ']'));
    }
    const list = new NameList(this.buf, this.view, quotes.slice(0, n), { start, end: this.pos, kind: 'array' });
    return { kind: 'array', list, allStrings };
  }
}

/**
 * Scans an ExtenderArgs body. Throws JsonSyntaxError when the body is not exactly one valid JSON
 * value (surrounded by optional whitespace); otherwise returns where its parts are.
 */
export function scanArgs(body: Buffer): ScannedArgs {
  const s = new Scanner(body);
  const first = s.ws();
  if (first === -1) s.fail('expected a JSON value');
  const kind = kindOf(first);
  const result: { kind: JsonKind; pod?: ValueRange; nodes?: ScannedNodes; nodeNames?: ScannedNodeNames } = { kind };
  if (first !== LBRACE) s.skip(0);
  else if (s.open(RBRACE, 1)) {
    do {
      switch (foldKey(s.key())) {
        case 'pod':
          result.pod = s.range(1);
          break;
        case 'nodes':
          result.nodes = s.nodes(1);
          break;
        case 'nodenames':
          result.nodeNames = s.nodeNames(1);
          break;
        default:
          s.skip(1);
      }
    } while (s.more(RBRACE, '}'));
  }
  if (s.ws() !== -1) s.fail('unexpected data after the JSON value');
  return result;
}

/**
 * The members `wants` of the object at `at`, a range `scanArgs` returned (so its bytes are valid
 * JSON): where the last value of each key is, undefined when absent. Keys are matched exactly, as
 * `JSON.parse` would read them. Lets a caller build only the part of a value it reads.
 */
export function objectMembers(body: Buffer, at: ValueRange, wants: readonly Buffer[]): (ValueRange | undefined)[] {
  const s = new Scanner(body);
  s.pos = at.start;
  return s.members(wants, 0);
}
