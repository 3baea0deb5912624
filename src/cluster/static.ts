/**
 * The static cluster state (`--state PATH`): Kubernetes objects read from YAML/JSON files, served
 * through the same read-only `ClusterStore` interface as the live caches.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { stripNode } from './live/strip.js';
import { NodeTable } from './node-table.js';
import type { ClusterStore } from './store.js';
import type {
  KubeObject,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReferenceGrant,
  StorageClass,
  VolumeSnapshot,
  VolumeSnapshotContent,
} from './types.js';

/** A state file that cannot be parsed: names the file, the line and the cause. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

const nsKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** The by-handle index key of a CSI PV (`driver`, `volumeHandle`), or undefined for other PVs. */
function handleKey(pv: PersistentVolume): string | undefined {
  const csi = pv.spec?.csi;
  return typeof csi?.driver === 'string' && typeof csi.volumeHandle === 'string'
    ? `${csi.driver}\u0000${csi.volumeHandle}`
    : undefined;
}

/** An in-memory store of objects; `add` replaces an object of the same kind and name. */
export class StaticStore implements ClusterStore {
  private readonly nodes = new NodeTable();
  private readonly pvs = new Map<string, PersistentVolume>();
  private readonly pvsByHandle = new Map<string, PersistentVolume>();
  private readonly pvcs = new Map<string, PersistentVolumeClaim>();
  private readonly classes = new Map<string, StorageClass>();
  private readonly snapshots = new Map<string, VolumeSnapshot>();
  private readonly contents = new Map<string, VolumeSnapshotContent>();
  private readonly grants = new Map<string, ReferenceGrant[]>();
  private readonly pods = new Map<string, Pod>();
  private nodeList: readonly Node[] | undefined;

  /**
   * Adds one object. Returns false (and keeps nothing) for kinds the engine does not use and for
   * objects without a name, which nothing can refer to.
   */
  add(obj: KubeObject): boolean {
    const name = obj?.metadata?.name;
    if (typeof name !== 'string' || name === '') return false;
    const ns =
      typeof obj.metadata?.namespace === 'string' && obj.metadata.namespace !== '' ? obj.metadata.namespace : 'default';
    switch (obj.kind) {
      case 'Node':
        // Only a node's name and labels are read, as the live store keeps them (its status,
        // images and conditions are most of a Node's bytes).
        this.nodes.set(name, stripNode(obj) ?? obj);
        this.nodeList = undefined;
        return true;
      case 'PersistentVolume': {
        const pv = obj as PersistentVolume;
        // A replaced PV takes its handle with it: the index must never answer with an object the
        // store no longer holds.
        const previous = this.pvs.get(name);
        const previousKey = previous && handleKey(previous);
        if (previousKey !== undefined && this.pvsByHandle.get(previousKey) === previous) {
          this.pvsByHandle.delete(previousKey);
        }
        this.pvs.set(name, pv);
        const key = handleKey(pv);
        if (key !== undefined) this.pvsByHandle.set(key, pv);
        return true;
      }
      case 'PersistentVolumeClaim':
        this.pvcs.set(nsKey(ns, name), obj);
        return true;
      case 'StorageClass':
        this.classes.set(name, obj);
        return true;
      case 'VolumeSnapshot':
        this.snapshots.set(nsKey(ns, name), obj);
        return true;
      case 'VolumeSnapshotContent':
        this.contents.set(name, obj);
        return true;
      case 'ReferenceGrant': {
        const list = (this.grants.get(ns) ?? []).filter((g) => g.metadata?.name !== name);
        list.push(obj);
        this.grants.set(ns, list);
        return true;
      }
      case 'Pod':
        this.pods.set(nsKey(ns, name), obj);
        return true;
      default:
        return false;
    }
  }

  getNode(name: string): Node | undefined {
    return this.nodes.get(name)?.node;
  }
  nodeTable(): NodeTable {
    return this.nodes;
  }
  listNodes(): readonly Node[] {
    this.nodeList ??= [...this.nodes.entries()].map((e) => e.node);
    return this.nodeList;
  }
  getPersistentVolume(name: string): PersistentVolume | undefined {
    return this.pvs.get(name);
  }
  findPersistentVolumeByHandle(driver: string, volumeHandle: string): PersistentVolume | undefined {
    return this.pvsByHandle.get(`${driver}\u0000${volumeHandle}`);
  }
  getPersistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.pvcs.get(nsKey(namespace, name));
  }
  getStorageClass(name: string): StorageClass | undefined {
    return this.classes.get(name);
  }
  getVolumeSnapshot(namespace: string, name: string): VolumeSnapshot | undefined {
    return this.snapshots.get(nsKey(namespace, name));
  }
  getVolumeSnapshotContent(name: string): VolumeSnapshotContent | undefined {
    return this.contents.get(name);
  }
  listReferenceGrants(namespace: string): readonly ReferenceGrant[] {
    return this.grants.get(namespace) ?? [];
  }
  getPod(namespace: string, name: string): Pod | undefined {
    return this.pods.get(nsKey(namespace, name));
  }
}

/** What loading state files produced besides the store: objects passed over, for the log. */
export interface LoadReport {
  readonly loaded: number;
  readonly ignored: readonly string[];
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The objects in one file's text: documents, each a plain object or a `*List` with `items`. Throws StateError. */
export function parseStateText(file: string, text: string): unknown[] {
  /** Each document with the line it starts on. */
  const docs: { value: unknown; line: number }[] = [];
  if (file.endsWith('.json')) {
    try {
      docs.push({ value: JSON.parse(text), line: 1 });
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      // V8 gives a position for everything but a truncated document, which ends at the last line.
      const where = `:${lineOf(text, m ? Number(m[1]) : text.length)}`;
      throw new StateError(`${file}${where}: invalid JSON: ${(err as Error).message}`);
    }
  } else {
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter, uniqueKeys: false })) {
      if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const line = e?.linePos?.[0]?.line ?? '?';
        throw new StateError(`${file}:${line}: invalid YAML: ${e?.message.split('\n')[0] ?? 'parse error'}`);
      }
      let value: unknown;
      try {
        // Alias problems (an undefined anchor, an alias bomb) surface only when converting.
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (err) {
        const line = lineCounter.linePos(doc.range[0]).line;
        throw new StateError(`${file}:${line}: invalid YAML: ${(err as Error).message}`);
      }
      if (value !== null && value !== undefined)
        docs.push({ value, line: lineCounter.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line });
    }
  }
  const out: unknown[] = [];
  const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);
  for (const { value: d, line } of docs) {
    if (d && typeof d === 'object' && !Array.isArray(d)) {
      const { kind, items } = d as { kind?: unknown; items?: unknown };
      if (typeof kind === 'string' && kind.endsWith('List') && items !== undefined && items !== null) {
        // A list whose items are not objects is no list of Kubernetes objects: say where, rather
        // than load nothing from it without a word.
        if (!Array.isArray(items))
          throw new StateError(`${file}:${line}: ${kind}.items must be a list, found ${typeName(items)}`);
        const bad = items.findIndex((item) => item === null || typeof item !== 'object' || Array.isArray(item));
        if (bad >= 0) {
          throw new StateError(
            `${file}:${line}: ${kind}.items[${bad}] must be an object, found ${typeName(items[bad])}`,
          );
        }
        // Items of a typed list as the API server returns it (`PersistentVolumeClaimList`) carry no
        // kind of their own: it is the list's kind without `List`.
        const itemKind = kind === 'List' || kind.endsWith('.List') ? undefined : kind.slice(0, -'List'.length);
        // Not `out.push(...items)`: spreading a List of ~100k+ objects overflows the call stack.
        for (const item of items) {
          const typed = itemKind !== undefined && item && typeof item === 'object' && !('kind' in item);
          out.push(typed ? { kind: itemKind, ...item } : item);
        }
      } else out.push(d);
    } else {
      throw new StateError(`${file}: expected Kubernetes objects, found ${Array.isArray(d) ? 'a list' : typeof d}`);
    }
  }
  return out;
}

const STATE_FILE = /\.(ya?ml|json)$/;

/** Runs a file-system call on `path`, turning its error into a StateError that names the path. */
function readable<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new StateError(`${path}: cannot read: ${(err as Error).message}`);
  }
}

/**
 * The state files under `path`: the path itself if it is a file, else the .yaml/.yml/.json files
 * under it, recursively, in name order. A directory reached again through a symlink (a loop, or a
 * second link to it) is read once; an entry that cannot be read fails the load only if it could be
 * a state file.
 */
function stateFiles(path: string, visited = new Set<string>()): string[] {
  if (!readable(path, () => statSync(path)).isDirectory()) return [path];
  const real = readable(path, () => realpathSync(path));
  if (visited.has(real)) return [];
  visited.add(real);
  return readable(path, () => readdirSync(path))
    .sort()
    .flatMap((entry) => {
      const full = join(path, entry);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(full);
      } catch (err) {
        if (!STATE_FILE.test(entry)) return [];
        throw new StateError(`${full}: cannot read: ${(err as Error).message}`);
      }
      if (st.isDirectory()) return stateFiles(full, visited);
      return STATE_FILE.test(entry) ? [full] : [];
    });
}

/**
 * Loads `--state` paths (files or directories of .yaml/.yml/.json, recursively, in name order;
 * later objects replace earlier ones of the same kind and name). Throws StateError for a file that
 * cannot be read or parsed. Does I/O.
 */
export function loadState(paths: readonly string[]): { store: StaticStore; report: LoadReport } {
  const store = new StaticStore();
  const ignored: string[] = [];
  let loaded = 0;
  for (const path of paths) {
    for (const file of stateFiles(path)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new StateError(`${file}: cannot read: ${(err as Error).message}`);
      }
      for (const obj of parseStateText(file, text)) {
        if (store.add(obj as KubeObject)) loaded++;
        else {
          const o = obj as KubeObject;
          ignored.push(`${file}: ${String(o?.kind ?? '(no kind)')} ${String(o?.metadata?.name ?? '(no name)')}`);
        }
      }
    }
  }
  return { store, report: { loaded, ignored } };
}
