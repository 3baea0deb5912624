import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './process.js';

/** A parsed manifest: any mapping, read through the typed accessors below. */
export type Obj = Readonly<Record<string, unknown>>;

/** Every YAML document of a file (throws on a syntax error, naming the file). */
export function readYamlDocs(path: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(join(REPO, path), 'utf8'));
  const out: Obj[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(asObj(value, path));
  }
  return out;
}

export function readYaml(path: string): Obj {
  const [first] = readYamlDocs(path);
  if (!first) throw new Error(`${path}: empty`);
  return first;
}

export function asObj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what}: not a mapping`);
  return v as Obj;
}

/** The value at a dotted path (`spec.template.spec`), numbers index lists; undefined when absent. */
export function at(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function list(o: unknown, path: string): Obj[] {
  const v = at(o, path);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${path}: not a list`);
  return v.map((x, i) => asObj(x, `${path}.${i}`));
}

/** A list of strings at `path` (empty when absent). */
export function strings(o: unknown, path: string): string[] {
  const v = at(o, path);
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${path}: not a list of strings`);
  return v;
}

export function str(o: unknown, path: string): string {
  const v = at(o, path);
  if (typeof v !== 'string') throw new Error(`${path}: not a string (${JSON.stringify(v)})`);
  return v;
}

/** A kustomization directory resolved the way `kubectl apply -k` would read it (resources only). */
export interface Kustomization {
  readonly dir: string;
  readonly spec: Obj;
  /** The objects of every listed resource file, and of listed directories' kustomizations. */
  readonly objects: Obj[];
  /** Files read by configMapGenerator entries, relative to the repo. */
  readonly generatorFiles: string[];
  /** Listed resources that do not exist. */
  readonly missing: string[];
}

/** Loads `dir/kustomization.yaml` and, recursively, what it lists. Does I/O. */
export function loadKustomization(dir: string): Kustomization {
  const spec = readYaml(join(dir, 'kustomization.yaml'));
  const objects: Obj[] = [];
  const missing: string[] = [];
  const generatorFiles: string[] = [];
  for (const res of strings(spec, 'resources')) {
    const path = join(dir, res);
    if (!existsSync(join(REPO, path))) {
      missing.push(path);
    } else if (statSync(join(REPO, path)).isDirectory()) {
      const sub = loadKustomization(path);
      objects.push(...sub.objects);
      missing.push(...sub.missing);
      generatorFiles.push(...sub.generatorFiles);
    } else {
      objects.push(...readYamlDocs(path));
    }
  }
  for (const gen of list(spec, 'configMapGenerator')) {
    for (const f of strings(gen, 'files')) {
      const file = join(dir, f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      if (!existsSync(join(REPO, file))) missing.push(file);
      generatorFiles.push(file);
    }
  }
  return { dir, spec, objects, generatorFiles, missing };
}

/** YAML files directly in `dir` (relative to the repo). */
export function yamlFilesIn(dir: string): string[] {
  return readdirSync(join(REPO, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => relative(REPO, join(REPO, dir, f)));
}

/** The single object of this kind (and name, when given); throws when there is not exactly one. */
export function one(objects: readonly Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || at(o, 'metadata.name') === name));
  const [only] = found;
  if (found.length !== 1 || only === undefined) {
    throw new Error(`want exactly one ${kind} ${name ?? ''}, found ${found.length}`);
  }
  return only;
}

/** The only element of a list; throws when there is not exactly one. */
export function single(items: readonly Obj[], what: string): Obj {
  const [only] = items;
  if (items.length !== 1 || only === undefined) throw new Error(`want exactly one ${what}, found ${items.length}`);
  return only;
}
