/**
 * One resource's objects, keyed `namespace/name` (or `name` for cluster-scoped kinds), with
 * secondary indexes kept up to date on every change — in the spirit of client-go's `Indexer` — so
 * each lookup the engine makes is a map read, whatever the cluster's size.
 */
import type { KubeObject } from '../types.js';

const NONE: readonly never[] = Object.freeze([]);

/** Maps an object to the index values it is found under (none: not indexed). */
export type IndexFunc<T> = (obj: T) => readonly string[];

export class IndexedCache<T extends KubeObject> {
  readonly #namespaced: boolean;
  readonly #items = new Map<string, T>();
  readonly #indexFuncs: ReadonlyMap<string, IndexFunc<T>>;
  /**
   * index name → index value → the key, or the keys when several objects share the value (a Set
   * per value would cost ~150 bytes for each PV's unique CSI handle).
   */
  readonly #indexes = new Map<string, Map<string, string | Set<string>>>();
  /** index name → index value → the objects, built on first read after a change */
  readonly #memo = new Map<string, Map<string, readonly T[]>>();
  #sorted: readonly T[] | undefined;
  /** Called after an object leaves the cache (delete event, relist, clear). */
  onRemove: ((key: string) => void) | undefined;
  /** Called after an object enters or changes in the cache. */
  onUpsert: ((key: string) => void) | undefined;

  constructor(namespaced: boolean, indexFuncs: Readonly<Record<string, IndexFunc<T>>> = {}) {
    this.#namespaced = namespaced;
    this.#indexFuncs = new Map(Object.entries(indexFuncs));
    for (const name of this.#indexFuncs.keys()) {
      this.#indexes.set(name, new Map());
      this.#memo.set(name, new Map());
    }
  }

  /** The cache key of an object (`namespace/name`, or `name`). */
  keyOf(obj: KubeObject): string {
    const name = obj.metadata?.name ?? '';
    return this.#namespaced ? `${obj.metadata?.namespace ?? ''}/${name}` : name;
  }

  key(namespace: string, name: string): string {
    return this.#namespaced ? `${namespace}/${name}` : name;
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** All objects, sorted by key; the array is shared until the next change. */
  sorted(): readonly T[] {
    if (this.#sorted === undefined) {
      this.#sorted = Object.freeze(
        [...this.#items.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, obj]) => obj),
      );
    }
    return this.#sorted;
  }

  /** Objects under one index value; the array is shared until that value's entries change. */
  byIndex(index: string, value: string): readonly T[] {
    const memo = this.#memo.get(index);
    const cached = memo?.get(value);
    if (cached !== undefined) return cached;
    const keys = this.#indexes.get(index)?.get(value);
    // Values with no objects are not remembered: lookups of arbitrary values must not grow the memo.
    if (keys === undefined) return NONE;
    const list = typeof keys === 'string' ? [keys] : [...keys];
    const objs = Object.freeze(list.flatMap((key) => this.#items.get(key) ?? []).sort(byName));
    memo?.set(value, objs);
    return objs;
  }

  /** Inserts or replaces an object (a no-op when it is the very same object). */
  upsert(obj: T): void {
    const key = this.keyOf(obj);
    const old = this.#items.get(key);
    if (old === obj) return;
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#index(key, obj);
    this.#sorted = undefined;
    this.onUpsert?.(key);
  }

  /** Removes an object; returns whether it was there. */
  remove(key: string): boolean {
    const old = this.#items.get(key);
    if (old === undefined) return false;
    this.#items.delete(key);
    this.#unindex(key, old);
    this.#sorted = undefined;
    this.onRemove?.(key);
    return true;
  }

  /** Makes the cache hold exactly `objs` (after a full list). */
  replaceAll(objs: readonly T[]): void {
    const keep = new Set(objs.map((obj) => this.keyOf(obj)));
    for (const key of [...this.#items.keys()]) if (!keep.has(key)) this.remove(key);
    for (const obj of objs) this.upsert(obj);
  }

  clear(): void {
    this.replaceAll([]);
  }

  #index(key: string, obj: T): void {
    for (const [name, fn] of this.#indexFuncs) {
      const index = this.#indexes.get(name);
      for (const value of fn(obj)) {
        const keys = index?.get(value);
        if (keys === undefined) index?.set(value, key);
        else if (typeof keys !== 'string') keys.add(key);
        else if (keys !== key) index?.set(value, new Set([keys, key]));
        this.#memo.get(name)?.delete(value);
      }
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexFuncs) {
      const index = this.#indexes.get(name);
      for (const value of fn(obj)) {
        const keys = index?.get(value);
        if (keys === key) {
          index?.delete(value);
        } else if (typeof keys === 'object') {
          keys.delete(key);
          if (keys.size === 1) index?.set(value, keys.values().next().value as string);
        }
        this.#memo.get(name)?.delete(value);
      }
    }
  }
}

function byName(a: KubeObject, b: KubeObject): number {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
