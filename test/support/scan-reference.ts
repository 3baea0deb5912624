/**
 * The byte-at-a-time scanner that src/extender/scan.ts replaced (one table load per string byte),
 * kept as the oracle for the faster one: both must return the same ranges, names and kinds, and
 * throw the same JsonSyntaxError (message and offset) for every body. It reports `NodeNames` as
 * the decoded strings and where their literals are, which the fast scanner keeps undecoded in a
 * `NameList`. Test code only.
 */
import {
  foldKey,
  type JsonKind,
  JsonSyntaxError,
  MAX_DEPTH,
  type ScannedNode,
  type ScannedNodes,
  type ValueRange,
} from '../../src/extender/scan.js';

/** `NodeNames` as this scanner reports it: the strings decoded, with each literal's byte range and the list's. */
export type ReferenceNodeNames =
  | { readonly kind: 'null' }
  | {
      readonly kind: 'array';
      readonly names: readonly string[];
      readonly literals: readonly (readonly [number, number])[];
      readonly range: ValueRange;
      readonly allStrings: boolean;
    }
  | { readonly kind: Exclude<JsonKind, 'array' | 'null'> };

/** ScannedArgs with `NodeNames` as `ReferenceNodeNames`. */
export interface ReferenceArgs {
  readonly kind: JsonKind;
  readonly pod?: ValueRange;
  readonly nodes?: ScannedNodes;
  readonly nodeNames?: ReferenceNodeNames;
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

/** Classes of bytes inside a JSON string: ORDINARY, or one that ends the fast loop (`"`, `\`, control characters). */
const ORDINARY = 0;
const STRING_BYTE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_BYTE[c] = 1;
STRING_BYTE[QUOTE] = 1;
STRING_BYTE[BACKSLASH] = 1;

/** Bytes that may follow a `\` in a JSON string (besides `u`). */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

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

class Scanner {
  pos = 0;
  /** Whether the string most recently scanned by `string()` contained an escape. */
  escaped = false;

  constructor(readonly buf: Buffer) {}

  fail(message: string): never {
    if (this.pos >= this.buf.length) throw new JsonSyntaxError('unexpected end of JSON input', this.buf.length);
    throw new JsonSyntaxError(
      `${message} (found ${JSON.stringify(String.fromCharCode(this.buf[this.pos] ?? 0))})`,
      this.pos,
    );
  }

  /** Skips JSON whitespace (space, tab, newline, carriage return) and returns the next byte. */
  ws(): number {
    const buf = this.buf;
    let p = this.pos;
    let c = buf[p];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++p];
    this.pos = p;
    return c === undefined ? -1 : c;
  }

  expect(byte: number, what: string): void {
    if (this.ws() !== byte) this.fail(`expected ${what}`);
    this.pos++;
  }

  /**
   * Scans a string whose opening quote is at `pos`; leaves `pos` after the closing quote and
   * returns the offset of the closing quote. Rejects control characters and invalid escapes, as
   * JSON requires; sets `escaped`.
   */
  string(): number {
    const buf = this.buf;
    const n = buf.length;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      // The hot loop: one table load per ordinary byte. Past the end `buf[p]` is undefined, which
      // is not an ordinary byte either, so the end needs no check of its own here.
      while (STRING_BYTE[buf[p] as number] === ORDINARY) p++;
      if (p >= n) {
        this.pos = p;
        this.fail('unterminated string');
      }
      const c = buf[p] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = buf[p + 1];
        if (e === 0x75) {
          // \uXXXX: four hex digits (unpaired surrogates are accepted, as by JSON.parse and Go).
          if (!(isHex(buf[p + 2] ?? 0) && isHex(buf[p + 3] ?? 0) && isHex(buf[p + 4] ?? 0) && isHex(buf[p + 5] ?? 0))) {
            this.pos = Math.min(p + 2, n);
            this.fail('invalid \\u escape in string');
          }
          p += 6;
        } else if (e !== undefined && SIMPLE_ESCAPE[e] === 1) {
          p += 2;
        } else {
          this.pos = Math.min(p + 1, n);
          this.fail('invalid escape in string');
        }
        continue;
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail('control character in string');
      }
      p++;
    }
    this.escaped = escaped;
    this.pos = p + 1;
    return p;
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
    const length = close - start;
    return wants.findIndex((w) => w.length === length && this.buf.compare(w, 0, length, start, close) === 0);
  }

  /** Validates a key at `pos` (after whitespace) and the `:` after it, without decoding it. */
  skipKey(): void {
    if (this.ws() !== QUOTE) this.fail('expected string key');
    this.string();
    this.expect(COLON, "':' after object key");
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

  number(): void {
    const buf = this.buf;
    let p = this.pos;
    if (buf[p] === MINUS) p++;
    let c = buf[p] ?? -1;
    if (c === ZERO) c = buf[++p] ?? -1;
    else if (c > ZERO && c <= NINE) {
      do c = buf[++p] ?? -1;
      while (c >= ZERO && c <= NINE);
    } else {
      this.pos = p;
      this.fail('invalid number');
    }
    if (c === DOT) {
      c = buf[++p] ?? -1;
      if (!(c >= ZERO && c <= NINE)) {
        this.pos = p;
        this.fail('expected digit after decimal point');
      }
      do c = buf[++p] ?? -1;
      while (c >= ZERO && c <= NINE);
    }
    if (c === 0x65 || c === 0x45) {
      c = buf[++p] ?? -1;
      if (c === PLUS || c === MINUS) c = buf[++p] ?? -1;
      if (!(c >= ZERO && c <= NINE)) {
        this.pos = p;
        this.fail('expected digit in exponent');
      }
      do c = buf[++p] ?? -1;
      while (c >= ZERO && c <= NINE);
    }
    this.pos = p;
  }

  literal(text: string): void {
    const buf = this.buf;
    for (let i = 0; i < text.length; i++) {
      if (buf[this.pos] !== text.charCodeAt(i)) this.fail(`invalid literal (expected ${text})`);
      this.pos++;
    }
  }

  /**
   * Validates one value of any type at `pos` (after whitespace) and leaves `pos` after it; `depth`
   * is the nesting depth of the value's container. Iterative, so deep nesting cannot overflow the
   * call stack: `stack` holds 1 for each open object and 0 for each open array.
   */
  skip(depth: number): void {
    const stack: number[] = [];
    for (;;) {
      // A value starts at pos (after whitespace).
      const c = this.ws();
      if (c === QUOTE) this.string();
      else if (c === LBRACE) {
        if (this.open(RBRACE, depth + stack.length + 1)) {
          stack.push(1);
          this.skipKey();
          continue;
        }
      } else if (c === LBRACKET) {
        if (this.open(RBRACKET, depth + stack.length + 1)) {
          stack.push(0);
          continue;
        }
      } else if (c === 0x74) this.literal('true');
      else if (c === 0x66) this.literal('false');
      else if (c === 0x6e) this.literal('null');
      else if (c === MINUS || (c >= ZERO && c <= NINE)) this.number();
      else this.fail('expected a JSON value');
      // After a value: continue the innermost container, or close containers until one continues.
      for (;;) {
        const top = stack.length === 0 ? -1 : (stack[stack.length - 1] as number);
        if (top === -1) return;
        if (top === 1) {
          if (this.more(RBRACE, '}')) {
            this.skipKey();
            break;
          }
        } else if (this.more(RBRACKET, ']')) break;
        stack.pop();
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
    return { ...(name === undefined ? {} : { name }), ...(labels === undefined ? {} : { labels }) };
  }

  /** `NodeNames`: null, a list (of strings, hopefully), or another value. */
  nodeNames(depth: number): ReferenceNodeNames {
    const c = this.ws();
    if (c !== LBRACKET) {
      const kind = kindOf(c);
      this.skip(depth);
      return { kind } as ReferenceNodeNames;
    }
    const start = this.pos;
    const names: string[] = [];
    const literals: [number, number][] = [];
    let allStrings = true;
    if (this.open(RBRACKET, depth + 1)) {
      do {
        if (this.ws() === QUOTE) {
          const at = this.pos;
          names.push(this.stringValue());
          literals.push([at, this.pos]);
        } else {
          allStrings = false;
          this.skip(depth + 1);
        }
      } while (this.more(RBRACKET, ']'));
    }
    return { kind: 'array', names, literals, range: { start, end: this.pos, kind: 'array' }, allStrings };
  }
}

/**
 * The previous scanner's scanArgs. Throws JsonSyntaxError when the body is not exactly one valid JSON
 * value (surrounded by optional whitespace); otherwise returns where its parts are.
 */
export function scanArgsReference(body: Buffer): ReferenceArgs {
  const s = new Scanner(body);
  const first = s.ws();
  if (first === -1) s.fail('expected a JSON value');
  const kind = kindOf(first);
  const result: { kind: JsonKind; pod?: ValueRange; nodes?: ScannedNodes; nodeNames?: ReferenceNodeNames } = { kind };
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
