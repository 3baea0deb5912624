/**
 * A store's nodes laid out for the request path. kube-scheduler sends up to thousands of node names
 * per call, and what a decision needs per name — is it known, what do its labels say on the keys
 * this pod's checks read, what is its name as JSON — must not mean visiting several objects
 * scattered over a large heap per name: between two calls the CPU caches have long forgotten them,
 * and each visit is a cache miss. Here a name is found through a hash table of int32 slots and
 * verified against one contiguous buffer holding every name as a JSON literal (the same bytes the
 * reply copies), and each node's projection on a key set is a small integer in a dense column.
 * Maintained by the stores as nodes come and go. Pure; no I/O.
 */
import { asciiJson, type KeySet, NodeEntry } from './nodes.js';
import type { Node } from './types.js';

/**
 * A hash of the length and the first and last 16 UTF-16 code units of `s`, as an int32, taken
 * four units to a word (one multiply per word: the multiplies, each waiting for the last, are what
 * a hash of a short string costs). Node names differ at their start (`ip-10-0-1-17.ec2.internal`)
 * or their end (`gke-pool-1-5f2a-xk9q`), and a name is verified in full anyway: hashing the middle
 * of a long name only costs time.
 */
function hashOf(s: string): number {
  const n = s.length;
  const head = n < 32 ? n : 16;
  const h = mixChars(s, 0, head, Math.imul(0x811c9dc5 ^ n, 0x01000193));
  return finish(mixChars(s, Math.max(head, n - 16), n, h));
}

/** `hashOf` of the name whose characters are the ASCII bytes `buf[start, end)`. */
function hashOfBytes(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  const head = start + (n < 32 ? n : 16);
  const h = mixBytes(buf, start, head, Math.imul(0x811c9dc5 ^ n, 0x01000193));
  return finish(mixBytes(buf, Math.max(head, end - 16), end, h));
}

/** `h` with the code units `s[from, to)` mixed in, four to a word. */
function mixChars(s: string, from: number, to: number, h: number): number {
  for (let i = from; i < to; i += 4) {
    let w = s.charCodeAt(i);
    if (i + 1 < to) w ^= s.charCodeAt(i + 1) << 8;
    if (i + 2 < to) w ^= s.charCodeAt(i + 2) << 16;
    if (i + 3 < to) w ^= s.charCodeAt(i + 3) << 24;
    h = mixWord(h, w);
  }
  return h;
}

/** `mixChars` for the bytes `buf[from, to)` (the same units when they are ASCII). */
function mixBytes(buf: Uint8Array, from: number, to: number, h: number): number {
  for (let i = from; i < to; i += 4) {
    let w = buf[i] as number;
    if (i + 1 < to) w ^= (buf[i + 1] as number) << 8;
    if (i + 2 < to) w ^= (buf[i + 2] as number) << 16;
    if (i + 3 < to) w ^= (buf[i + 3] as number) << 24;
    h = mixWord(h, w);
  }
  return h;
}

function mixWord(h: number, w: number): number {
  const x = Math.imul(h ^ w, 0x5bd1e995);
  return x ^ (x >>> 13);
}

const finish = (h: number): number => h ^ (h >>> 15);

const EMPTY = 0;
const DELETED = -1;

/** For each node (by index) the id of its labels' signature on one key set; -1 until computed. */
export class SignatureColumn {
  ids: Int32Array;
  readonly #byText = new Map<string, number>();

  constructor(
    readonly keys: KeySet,
    capacity: number,
  ) {
    this.ids = new Int32Array(capacity).fill(-1);
  }

  /** Number of distinct signatures seen (ids are 0 … count-1). */
  get count(): number {
    return this.#byText.size;
  }

  /** The signature id of node `i` of `table` (computed once per node object; only then is the node read). */
  id(i: number, table: NodeTable): number {
    const known = this.ids[i] as number;
    if (known >= 0) return known;
    const text = this.keys.signature(table.entry(i).labels);
    let id = this.#byText.get(text);
    if (id === undefined) {
      id = this.#byText.size;
      this.#byText.set(text, id);
    }
    this.ids[i] = id;
    return id;
  }

  grow(capacity: number): void {
    const ids = new Int32Array(capacity).fill(-1);
    ids.set(this.ids);
    this.ids = ids;
  }
}

export class NodeTable {
  /** Key sets with a column at once; beyond this the columns start over (they are only a cache). */
  static readonly MAX_COLUMNS = 64;

  #entries: (NodeEntry | undefined)[] = [];
  /**
   * Where each node's JSON literal is in `#json`: `[span[2i], |span[2i+1]|)`; `span[2i+1]` is
   * negative when the literal is not `"` + the name + `"` (escapes), so the name is verified on
   * the entry instead of byte by byte. One array, so that a lookup touches one place per node.
   */
  #span = new Int32Array(32);
  #capacity = 16;
  #json = Buffer.allocUnsafeSlow(1024);
  /** `json(i)` once made, by index. */
  #views: (Buffer | undefined)[] = [];
  #jsonUsed = 0;
  #jsonGarbage = 0;
  readonly #free: number[] = [];
  /** Open addressing, linear probing, pairs: (index + 1, EMPTY or DELETED) and the name's hash. */
  #slots = new Int32Array(64);
  #occupied = 0;
  #size = 0;
  readonly #columns = new Map<KeySet, SignatureColumn>();

  get size(): number {
    return this.#size;
  }

  /** The index of the node called `name`, or -1. */
  find(name: string): number {
    return this.#findHashed(name, hashOf(name));
  }

  /**
   * `find` for the name whose characters are the ASCII bytes `buf[start, end)` (a name written in a
   * request without escapes), without making it a string.
   */
  findBytes(buf: Buffer, start: number, end: number): number {
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    const hash = hashOfBytes(buf, start, end);
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const slot = slots[2 * s] as number;
      if (slot === EMPTY) return -1;
      if (slot > 0 && slots[2 * s + 1] === hash && this.#matchesBytes(slot - 1, buf, start, end)) return slot - 1;
    }
  }

  /** The node at index `i` (an index `find` returned, before the table changes). */
  entry(i: number): NodeEntry {
    return this.#entries[i] as NodeEntry;
  }

  /** The node called `name`, or undefined. */
  get(name: string): NodeEntry | undefined {
    const i = this.find(name);
    return i < 0 ? undefined : this.#entries[i];
  }

  /**
   * The name at index `i` as an ASCII JSON string literal (a view, valid for good). Views are made
   * once per node: making one costs more than copying the bytes it shows.
   */
  json(i: number): Buffer {
    let view = this.#views[i];
    if (view === undefined) {
      const end = this.#span[2 * i + 1] as number;
      view = this.#json.subarray(this.#span[2 * i], end < 0 ? -end : end);
      this.#views[i] = view;
    }
    return view;
  }

  /** The signature column of `keys` (made on first use). */
  signatures(keys: KeySet): SignatureColumn {
    let column = this.#columns.get(keys);
    if (column === undefined) {
      if (this.#columns.size >= NodeTable.MAX_COLUMNS) this.#columns.clear();
      column = new SignatureColumn(keys, this.#capacity);
      this.#columns.set(keys, column);
    }
    return column;
  }

  /** Adds or replaces the node named `name`; returns its entry. */
  set(name: string, node: Node): NodeEntry {
    const entry = new NodeEntry(name, node);
    const hash = hashOf(name);
    const existing = this.#findHashed(name, hash);
    if (existing >= 0) {
      this.#entries[existing] = entry;
      for (const column of this.#columns.values()) column.ids[existing] = -1;
      return entry;
    }
    const i = this.#free.pop() ?? this.#entries.length;
    if (i >= this.#capacity) this.#grow(Math.max(16, this.#capacity * 2));
    this.#entries[i] = entry;
    this.#writeJson(i, entry);
    for (const column of this.#columns.values()) column.ids[i] = -1;
    if ((this.#occupied + 1) * 2 > this.#slots.length / 2) this.#rehash((this.#size + 1) * 3);
    this.#insertSlot(hash, i);
    this.#size++;
    return entry;
  }

  /** Removes the node named `name`; returns whether it was there. */
  delete(name: string): boolean {
    const s = this.#slotOf(name, hashOf(name));
    if (s < 0) return false;
    const i = (this.#slots[s] as number) - 1;
    this.#slots[s] = DELETED;
    this.#entries[i] = undefined;
    this.#jsonGarbage += this.json(i).length;
    this.#views[i] = undefined;
    this.#free.push(i);
    this.#size--;
    return true;
  }

  /** Every node, in index order. */
  *entries(): Iterable<NodeEntry> {
    for (const e of this.#entries) if (e !== undefined) yield e;
  }

  #findHashed(name: string, hash: number): number {
    const s = this.#slotOf(name, hash);
    return s < 0 ? -1 : (this.#slots[s] as number) - 1;
  }

  /** The position in `#slots` of the pair for `name`, or -1. */
  #slotOf(name: string, hash: number): number {
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const slot = slots[2 * s] as number;
      if (slot === EMPTY) return -1;
      if (slot > 0 && slots[2 * s + 1] === hash && this.#matches(slot - 1, name)) return 2 * s;
    }
  }

  #matches(i: number, name: string): boolean {
    const end = this.#span[2 * i + 1] as number;
    if (end < 0) return this.#entries[i]?.name === name;
    const at = (this.#span[2 * i] as number) + 1;
    if (end - at - 1 !== name.length) return false;
    const json = this.#json;
    for (let k = 0; k < name.length; k++) if (json[at + k] !== name.charCodeAt(k)) return false;
    return true;
  }

  #matchesBytes(i: number, buf: Buffer, start: number, end: number): boolean {
    const jsonEnd = this.#span[2 * i + 1] as number;
    if (jsonEnd < 0) return this.#entries[i]?.name === buf.toString('latin1', start, end);
    const at = (this.#span[2 * i] as number) + 1;
    const n = end - start;
    if (jsonEnd - at - 1 !== n) return false;
    const json = this.#json;
    for (let k = 0; k < n; k++) if (json[at + k] !== buf[start + k]) return false;
    return true;
  }

  #insertSlot(hash: number, i: number): void {
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    let s = hash & mask;
    while ((slots[2 * s] as number) > 0) s = (s + 1) & mask;
    if (slots[2 * s] === EMPTY) this.#occupied++;
    slots[2 * s] = i + 1;
    slots[2 * s + 1] = hash;
  }

  /** A new slot array of at least `size` pairs (a power of two), without the deleted ones. */
  #rehash(size: number): void {
    let n = 32;
    while (n < size) n *= 2;
    const old = this.#slots;
    this.#slots = new Int32Array(2 * n);
    this.#occupied = 0;
    for (let s = 0; s < old.length; s += 2) {
      const slot = old[s] as number;
      if (slot > 0) this.#insertSlot(old[s + 1] as number, slot - 1);
    }
  }

  #writeJson(i: number, entry: NodeEntry): void {
    const literal = Buffer.from(asciiJson(entry.name), 'latin1');
    if (this.#jsonUsed + literal.length > this.#json.length) this.#compactJson(literal.length);
    const at = this.#jsonUsed;
    literal.copy(this.#json, at);
    this.#jsonUsed += literal.length;
    const end = at + literal.length;
    this.#views[i] = undefined;
    this.#span[2 * i] = at;
    this.#span[2 * i + 1] = literal.length === entry.name.length + 2 ? end : -end;
  }

  /**
   * Moves the live literals into a new buffer with room for `extra` more bytes. Views handed out
   * before keep the old buffer alive and unchanged.
   */
  #compactJson(extra: number): void {
    const live = this.#jsonUsed - this.#jsonGarbage;
    const json = Buffer.allocUnsafeSlow(Math.max(1024, 2 * (live + extra)));
    let used = 0;
    this.#entries.forEach((e, i) => {
      if (e === undefined) return;
      const literal = this.json(i);
      literal.copy(json, used);
      const plain = (this.#span[2 * i + 1] as number) >= 0;
      this.#span[2 * i] = used;
      used += literal.length;
      this.#span[2 * i + 1] = plain ? used : -used;
    });
    this.#json = json;
    this.#jsonUsed = used;
    this.#jsonGarbage = 0;
    // Views into the old buffer stay correct, but would keep it alive.
    this.#views = [];
  }

  #grow(capacity: number): void {
    const span = new Int32Array(2 * capacity);
    span.set(this.#span);
    this.#span = span;
    this.#capacity = capacity;
    for (const column of this.#columns.values()) column.grow(capacity);
  }
}
