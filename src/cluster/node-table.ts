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
 * FNV-1a over the length and the first and last 16 UTF-16 code units of `s`, as an int32. Node
 * names differ at their start (`ip-10-0-1-17.ec2.internal`) or their end
 * (`gke-pool-1-5f2a-xk9q`), and a name is verified in full anyway: hashing the middle of a long
 * name only costs time.
 */
function hashOf(s: string): number {
  let h = Math.imul(0x811c9dc5 ^ s.length, 0x01000193);
  const n = s.length;
  const head = n < 32 ? n : 16;
  for (let i = 0; i < head; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  for (let i = Math.max(head, n - 16); i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

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

  /** The signature id of `entry` at index `i` (computed once per node object). */
  id(i: number, entry: NodeEntry): number {
    const known = this.ids[i] as number;
    if (known >= 0) return known;
    const text = this.keys.signature(entry.labels);
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
  #hashes = new Int32Array(16);
  /** Where each node's JSON literal is in `#json`: `[#at[i], #end[i])`. */
  #at = new Int32Array(16);
  #end = new Int32Array(16);
  /** 1 when the literal is `"` + the name + `"` (no escapes): a name is then verified byte by byte. */
  #plain = new Uint8Array(16);
  #json = Buffer.allocUnsafeSlow(1024);
  #jsonUsed = 0;
  #jsonGarbage = 0;
  readonly #free: number[] = [];
  /** Open addressing, linear probing: index + 1, EMPTY or DELETED. */
  #slots = new Int32Array(32);
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

  /** The node at index `i` (an index `find` returned, before the table changes). */
  entry(i: number): NodeEntry {
    return this.#entries[i] as NodeEntry;
  }

  /** The node called `name`, or undefined. */
  get(name: string): NodeEntry | undefined {
    const i = this.find(name);
    return i < 0 ? undefined : this.#entries[i];
  }

  /** The name at index `i` as an ASCII JSON string literal (a view, valid for good). */
  json(i: number): Buffer {
    return this.#json.subarray(this.#at[i], this.#end[i]);
  }

  /** The signature column of `keys` (made on first use). */
  signatures(keys: KeySet): SignatureColumn {
    let column = this.#columns.get(keys);
    if (column === undefined) {
      if (this.#columns.size >= NodeTable.MAX_COLUMNS) this.#columns.clear();
      column = new SignatureColumn(keys, this.#hashes.length);
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
    if (i >= this.#hashes.length) this.#grow(Math.max(16, this.#hashes.length * 2));
    this.#entries[i] = entry;
    this.#hashes[i] = hash;
    this.#writeJson(i, entry);
    for (const column of this.#columns.values()) column.ids[i] = -1;
    if ((this.#occupied + 1) * 2 > this.#slots.length) this.#rehash(Math.max(32, (this.#size + 1) * 4));
    this.#insertSlot(hash, i);
    this.#size++;
    return entry;
  }

  /** Removes the node named `name`; returns whether it was there. */
  delete(name: string): boolean {
    const hash = hashOf(name);
    const mask = this.#slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const slot = this.#slots[s] as number;
      if (slot === EMPTY) return false;
      if (slot > 0 && this.#matches(slot - 1, name, hash)) {
        const i = slot - 1;
        this.#slots[s] = DELETED;
        this.#entries[i] = undefined;
        this.#jsonGarbage += (this.#end[i] as number) - (this.#at[i] as number);
        this.#free.push(i);
        this.#size--;
        return true;
      }
    }
  }

  /** Every node, in index order. */
  *entries(): Iterable<NodeEntry> {
    for (const e of this.#entries) if (e !== undefined) yield e;
  }

  #findHashed(name: string, hash: number): number {
    const mask = this.#slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const slot = this.#slots[s] as number;
      if (slot === EMPTY) return -1;
      if (slot > 0 && this.#matches(slot - 1, name, hash)) return slot - 1;
    }
  }

  #matches(i: number, name: string, hash: number): boolean {
    if (this.#hashes[i] !== hash) return false;
    if (this.#plain[i] === 0) return this.#entries[i]?.name === name;
    const at = (this.#at[i] as number) + 1;
    if ((this.#end[i] as number) - at - 1 !== name.length) return false;
    const json = this.#json;
    for (let k = 0; k < name.length; k++) if (json[at + k] !== name.charCodeAt(k)) return false;
    return true;
  }

  #insertSlot(hash: number, i: number): void {
    const mask = this.#slots.length - 1;
    let s = hash & mask;
    while ((this.#slots[s] as number) > 0) s = (s + 1) & mask;
    if (this.#slots[s] === EMPTY) this.#occupied++;
    this.#slots[s] = i + 1;
  }

  #rehash(size: number): void {
    let n = 32;
    while (n < size) n *= 2;
    this.#slots = new Int32Array(n);
    this.#occupied = 0;
    this.#entries.forEach((e, i) => {
      if (e !== undefined) this.#insertSlot(this.#hashes[i] as number, i);
    });
  }

  #writeJson(i: number, entry: NodeEntry): void {
    const literal = Buffer.from(asciiJson(entry.name), 'latin1');
    if (this.#jsonUsed + literal.length > this.#json.length) this.#compactJson(literal.length);
    const at = this.#jsonUsed;
    literal.copy(this.#json, at);
    this.#jsonUsed += literal.length;
    this.#at[i] = at;
    this.#end[i] = at + literal.length;
    this.#plain[i] = literal.length === entry.name.length + 2 ? 1 : 0;
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
      const at = this.#at[i] as number;
      const end = this.#end[i] as number;
      this.#json.copy(json, used, at, end);
      this.#at[i] = used;
      used += end - at;
      this.#end[i] = used;
    });
    this.#json = json;
    this.#jsonUsed = used;
    this.#jsonGarbage = 0;
  }

  #grow(capacity: number): void {
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.#hashes = grow32(this.#hashes);
    this.#at = grow32(this.#at);
    this.#end = grow32(this.#end);
    const plain = new Uint8Array(capacity);
    plain.set(this.#plain);
    this.#plain = plain;
    for (const column of this.#columns.values()) column.grow(capacity);
  }
}
