/**
 * A store's nodes laid out for the request path. kube-scheduler sends up to thousands of node names
 * per call, and what a decision needs per name — is it known, what do its labels say on the keys
 * this pod's checks read — must not mean visiting several objects scattered over a large heap per
 * name: between two calls the CPU caches have long forgotten them, and each visit is a cache miss
 * (measured: a lookup costs about four times as much in the server as in a warm loop). Here a name
 * is found through a hash table whose slots also say where the name's bytes are, verified against
 * one contiguous buffer of names, and each node's projection on a key set is a small integer in a
 * dense column: three places per name. Maintained by the stores as nodes come and go. Pure; no I/O.
 */
import { type KeySet, NodeEntry, viewOf } from './nodes.js';
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

/** `hashOf` of the name whose characters are the ASCII bytes `[start, end)` of `bytes`. */
function hashOfBytes(bytes: DataView, start: number, end: number): number {
  const n = end - start;
  const head = start + (n < 32 ? n : 16);
  const h = mixBytes(bytes, start, head, Math.imul(0x811c9dc5 ^ n, 0x01000193));
  return finish(mixBytes(bytes, Math.max(head, end - 16), end, h));
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

/**
 * `mixChars` for the bytes `[from, to)` of `bytes` (the same units when they are ASCII): a whole
 * word is one little-endian load.
 */
function mixBytes(bytes: DataView, from: number, to: number, h: number): number {
  let i = from;
  for (; i + 4 <= to; i += 4) h = mixWord(h, bytes.getUint32(i, true));
  if (i < to) {
    let w = bytes.getUint8(i);
    if (i + 1 < to) w ^= bytes.getUint8(i + 1) << 8;
    if (i + 2 < to) w ^= bytes.getUint8(i + 2) << 16;
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

/** Int32s per slot: index + 1 (or EMPTY, DELETED), the name's hash, where its bytes start and end in `#names`. */
const SLOT = 4;

/** Whether every character of `s` is ASCII, so that its bytes in a request are its characters. */
function isAsciiName(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A list of names as `findAll` reads it (a request's `NameList`). */
export interface NameSource {
  readonly length: number;
  /** The request body, read a word at a time. */
  readonly view: DataView;
  /** Where name `k`'s bytes start in `view` when they are its characters (ASCII, unescaped), else -1. */
  plainStart(k: number): number;
  /** One past name `k`'s closing quote. */
  literalEnd(k: number): number;
  name(k: number): string;
}

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
  #capacity = 16;
  /**
   * Every ASCII name's characters, back to back (a slot says where). A name with other characters
   * has no bytes here (its slot's end is -1) and is compared with its entry's name.
   */
  #names = Buffer.allocUnsafeSlow(1024);
  #namesView = viewOf(this.#names);
  #namesUsed = 0;
  #namesGarbage = 0;
  readonly #free: number[] = [];
  /** Open addressing, linear probing; `SLOT` int32s per slot. One array, so that a lookup reads one place before the name. */
  #slots = new Int32Array(32 * SLOT);
  #occupied = 0;
  #size = 0;
  readonly #columns = new Map<KeySet, SignatureColumn>();
  #hashes = new Int32Array(0);
  /** What `findAll`'s touching passes read: stored, so that the compiler keeps the loads. */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: written only, on purpose (see above)
  #touched = 0;

  get size(): number {
    return this.#size;
  }

  /** The index of the node called `name`, or -1. */
  find(name: string): number {
    return this.#indexOf(this.#slotOf(name, hashOf(name)));
  }

  /** The node index in slot position `s`, or -1 for none. */
  #indexOf(s: number): number {
    return s < 0 ? -1 : (this.#slots[s] as number) - 1;
  }

  /**
   * `find` for the name whose characters are the ASCII bytes `[start, end)` of `bytes` (a name
   * written in a request without escapes), without making it a string; `hash` is its `hashOfBytes`.
   */
  #findBytes(bytes: DataView, start: number, end: number, hash: number): number {
    const slots = this.#slots;
    const mask = slots.length / SLOT - 1;
    const n = end - start;
    for (let s = (hash & mask) * SLOT; ; s = (s + SLOT) & (mask * SLOT)) {
      const slot = slots[s] as number;
      if (slot === EMPTY) return -1;
      if (slot > 0 && slots[s + 1] === hash) {
        const at = slots[s + 2] as number;
        if ((slots[s + 3] as number) - at === n && this.#sameBytes(at, bytes, start, n)) return slot - 1;
      }
    }
  }

  /**
   * The index of every name of `names` (or -1) into `out`: `find` for a list, in passes over it.
   * Each name's lookup reads its slot and its bytes in the table, and between two requests those
   * have left the CPU's caches; one lookup after another, every miss waits for the one before.
   * Here all the hashes are taken first, then every slot is read in a loop that does nothing else,
   * then every name's bytes, so that the CPU has many misses in flight at once; the lookups
   * proper then find everything in cache.
   */
  findAll(names: NameSource, out: Int32Array): void {
    const n = names.length;
    const slots = this.#slots;
    const mask = slots.length / SLOT - 1;
    const hashes = this.#scratch(n);
    const bytes = names.view;
    for (let k = 0; k < n; k++) {
      const start = names.plainStart(k);
      hashes[k] = start < 0 ? hashOf(names.name(k)) : hashOfBytes(bytes, start, names.literalEnd(k) - 1);
    }
    let touched = 0;
    for (let k = 0; k < n; k++) touched ^= slots[((hashes[k] as number) & mask) * SLOT] as number;
    const arena = this.#names;
    for (let k = 0; k < n; k++) {
      const s = ((hashes[k] as number) & mask) * SLOT;
      // A slot of another name with the same hash bits is read for nothing, which is harmless.
      if ((slots[s] as number) > 0 && slots[s + 1] === hashes[k] && (slots[s + 3] as number) > 0) {
        touched ^= arena[slots[s + 2] as number] as number;
        touched ^= arena[(slots[s + 3] as number) - 1] as number;
      }
    }
    this.#touched = touched;
    for (let k = 0; k < n; k++) {
      const start = names.plainStart(k);
      const hash = hashes[k] as number;
      out[k] =
        start < 0
          ? this.#indexOf(this.#slotOf(names.name(k), hash))
          : this.#findBytes(bytes, start, names.literalEnd(k) - 1, hash);
    }
  }

  /** A reused Int32Array of at least `n` elements. */
  #scratch(n: number): Int32Array {
    if (this.#hashes.length < n) this.#hashes = new Int32Array(Math.max(n, 2 * this.#hashes.length));
    return this.#hashes;
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
    const existing = this.#slotOf(name, hash);
    if (existing >= 0) {
      const i = (this.#slots[existing] as number) - 1;
      this.#entries[i] = entry;
      for (const column of this.#columns.values()) column.ids[i] = -1;
      return entry;
    }
    const i = this.#free.pop() ?? this.#entries.length;
    if (i >= this.#capacity) this.#grow(Math.max(16, this.#capacity * 2));
    this.#entries[i] = entry;
    for (const column of this.#columns.values()) column.ids[i] = -1;
    if ((this.#occupied + 1) * 2 > this.#slots.length / SLOT) this.#rehash((this.#size + 1) * 3);
    const [at, end] = this.#storeName(name);
    this.#insertSlot(hash, i, at, end);
    this.#size++;
    return entry;
  }

  /** Removes the node named `name`; returns whether it was there. */
  delete(name: string): boolean {
    const s = this.#slotOf(name, hashOf(name));
    if (s < 0) return false;
    const slots = this.#slots;
    const i = (slots[s] as number) - 1;
    if ((slots[s + 3] as number) >= 0) this.#namesGarbage += (slots[s + 3] as number) - (slots[s + 2] as number);
    slots[s] = DELETED;
    this.#entries[i] = undefined;
    this.#free.push(i);
    this.#size--;
    return true;
  }

  /** Every node, in index order. */
  *entries(): Iterable<NodeEntry> {
    for (const e of this.#entries) if (e !== undefined) yield e;
  }

  /** The position in `#slots` of the slot of `name`, or -1. */
  #slotOf(name: string, hash: number): number {
    const slots = this.#slots;
    const mask = slots.length / SLOT - 1;
    for (let s = (hash & mask) * SLOT; ; s = (s + SLOT) & (mask * SLOT)) {
      const slot = slots[s] as number;
      if (slot === EMPTY) return -1;
      if (slot > 0 && slots[s + 1] === hash && this.#matches(s, name)) return s;
    }
  }

  #matches(s: number, name: string): boolean {
    const slots = this.#slots;
    const end = slots[s + 3] as number;
    if (end < 0) return this.#entries[(slots[s] as number) - 1]?.name === name;
    const at = slots[s + 2] as number;
    if (end - at !== name.length) return false;
    const names = this.#names;
    for (let k = 0; k < name.length; k++) if (names[at + k] !== name.charCodeAt(k)) return false;
    return true;
  }

  /** Whether the `n` bytes at `at` in `#names` are those at `start` in `bytes`, compared a word at a time. */
  #sameBytes(at: number, bytes: DataView, start: number, n: number): boolean {
    const names = this.#namesView;
    let k = 0;
    for (; k + 4 <= n; k += 4) if (names.getUint32(at + k) !== bytes.getUint32(start + k)) return false;
    for (; k < n; k++) if (names.getUint8(at + k) !== bytes.getUint8(start + k)) return false;
    return true;
  }

  #insertSlot(hash: number, i: number, at: number, end: number): void {
    const slots = this.#slots;
    const mask = slots.length / SLOT - 1;
    let s = (hash & mask) * SLOT;
    while ((slots[s] as number) > 0) s = (s + SLOT) & (mask * SLOT);
    if (slots[s] === EMPTY) this.#occupied++;
    slots[s] = i + 1;
    slots[s + 1] = hash;
    slots[s + 2] = at;
    slots[s + 3] = end;
  }

  /** A new slot array of at least `size` slots (a power of two), without the deleted ones. */
  #rehash(size: number): void {
    let n = 32;
    while (n < size) n *= 2;
    const old = this.#slots;
    this.#slots = new Int32Array(n * SLOT);
    this.#occupied = 0;
    for (let s = 0; s < old.length; s += SLOT) {
      const slot = old[s] as number;
      if (slot > 0) this.#insertSlot(old[s + 1] as number, slot - 1, old[s + 2] as number, old[s + 3] as number);
    }
  }

  /** Appends an ASCII name's characters to `#names`; returns where they are (`[0, -1]` for another name). */
  #storeName(name: string): [number, number] {
    if (!isAsciiName(name)) return [0, -1];
    if (this.#namesUsed + name.length > this.#names.length) this.#compactNames(name.length);
    const at = this.#namesUsed;
    this.#names.write(name, at, 'latin1');
    this.#namesUsed += name.length;
    return [at, at + name.length];
  }

  /** Moves the live names into a new buffer with room for `extra` more bytes, and points the slots there. */
  #compactNames(extra: number): void {
    const live = this.#namesUsed - this.#namesGarbage;
    const names = Buffer.allocUnsafeSlow(Math.max(1024, 2 * (live + extra)));
    const slots = this.#slots;
    let used = 0;
    for (let s = 0; s < slots.length; s += SLOT) {
      const end = slots[s + 3] as number;
      if ((slots[s] as number) <= 0 || end < 0) continue;
      const at = slots[s + 2] as number;
      this.#names.copy(names, used, at, end);
      slots[s + 2] = used;
      used += end - at;
      slots[s + 3] = used;
    }
    this.#names = names;
    this.#namesView = viewOf(names);
    this.#namesUsed = used;
    this.#namesGarbage = 0;
  }

  #grow(capacity: number): void {
    this.#capacity = capacity;
    for (const column of this.#columns.values()) column.grow(capacity);
  }
}
