/**
 * Where a volume or snapshot lives, and how a node is checked against it under a driver scope.
 * Pure.
 */
import type { Labels } from '../cluster/types.js';
import type { LabelSelector } from './selectors.js';
import {
  BETA_REGION,
  BETA_ZONE,
  HOSTNAME,
  REGION,
  ZONE,
  ZONE_LABEL_KEYS,
  type ZoneLabel,
  zoneLabelsMatch,
  zoneLabelsText,
} from './zones.js';

/** What a node needs to be on to reach a volume or snapshot. */
export interface SourceTopology {
  /** `pv "pv-7f2"`, `volumesnapshotcontent "c1"`, `node "n1"`: the object the topology comes from. */
  readonly from: string;
  /** A PV's required nodeAffinity, or a snapshot content's nodeAffinity terms. */
  readonly selector?: LabelSelector;
  /** A PV's legacy zone/region labels. */
  readonly zoneLabels: readonly ZoneLabel[];
  /** The only node (node-local snapshot content managed by that node). */
  readonly nodeName?: string;
  /** Labels of `nodeName`'s Node when known: its values say where that node is for keyed scopes and scoring. */
  readonly nodeLabels?: Labels;
}

/** How far a driver can carry a clone or restore from its source (config `drivers.*.clone|restore`). */
export type Scope = 'source' | 'any' | readonly string[];

export interface NodeView {
  readonly name: string;
  readonly labels: Labels;
}

/**
 * The values the source allows for `key`: `In` values of its selector's valid terms (union), its
 * legacy label values, and for a node-local source the node's name (hostname) or label. Undefined
 * when the source says nothing about the key.
 */
export function allowedValues(src: SourceTopology, key: string): ReadonlySet<string> | undefined {
  // Asked once per candidate node under keyed scopes: computed once per source and key.
  let memo = allowedMemo.get(src);
  if (memo === undefined) {
    memo = new Map();
    allowedMemo.set(src, memo);
  }
  if (memo.has(key)) return memo.get(key);
  const out = computeAllowedValues(src, key);
  memo.set(key, out);
  return out;
}

/** Memo of `allowedValues`, per source object (sources are built per request and never change). */
const allowedMemo = new WeakMap<SourceTopology, Map<string, ReadonlySet<string> | undefined>>();

function computeAllowedValues(src: SourceTopology, key: string): ReadonlySet<string> | undefined {
  let out: Set<string> | undefined;
  const add = (values: Iterable<string> | undefined) => {
    if (values === undefined) return;
    out ??= new Set();
    for (const v of values) out.add(v);
  };
  add(src.selector?.inValues(key));
  for (const z of src.zoneLabels) if (z.key === key) add(z.values);
  if (src.nodeName !== undefined) {
    if (key === HOSTNAME) add([src.nodeName]);
    const v = src.nodeLabels?.[key];
    if (typeof v === 'string') add([v]);
  }
  return out;
}

/** True when `node` can reach the source under `scope` (see the config reference for the rules). */
export function sourceAdmits(src: SourceTopology, scope: Scope, node: NodeView): boolean {
  if (scope === 'any') return true;
  if (scope === 'source') {
    if (src.nodeName !== undefined && node.name !== src.nodeName) return false;
    if (src.selector && !src.selector.matches(node.labels)) return false;
    return zoneLabelsMatch(src.zoneLabels, node.labels);
  }
  for (const key of scope) {
    const allowed = allowedValues(src, key);
    if (allowed === undefined || allowed.size === 0) continue;
    const v = Object.hasOwn(node.labels, key) ? node.labels[key] : undefined;
    if (v === undefined || !allowed.has(v)) return false;
  }
  return true;
}

/**
 * The node labels `sourceAdmits(src, scope, node)` can read, or undefined when its result also
 * depends on the node's name (a node-local source under scope `source`).
 */
export function sourceKeys(src: SourceTopology, scope: Scope): readonly string[] | undefined {
  if (scope === 'any') return [];
  if (scope !== 'source') return scope;
  if (src.nodeName !== undefined) return undefined;
  return [...(src.selector?.keys ?? []), ...(src.zoneLabels.length > 0 ? ZONE_LABEL_KEYS : [])];
}

/** True when the scope lets the source constrain nodes at all. */
export function scopeConstrains(src: SourceTopology, scope: Scope): boolean {
  if (scope === 'any') return false;
  if (scope === 'source') return src.nodeName !== undefined || src.selector !== undefined || src.zoneLabels.length > 0;
  return scope.some((key) => (allowedValues(src, key)?.size ?? 0) > 0);
}

/** The topology a node needs under `scope`, for reason messages, e.g. `topology.kubernetes.io/zone in [zone-a]`. */
export function requiredText(src: SourceTopology, scope: Scope): string {
  if (scope === 'source') {
    const parts: string[] = [];
    if (src.nodeName !== undefined) parts.push(`node ${src.nodeName}`);
    if (src.selector) parts.push(src.selector.text);
    // A legacy label that says what the nodeAffinity already says (provisioners often set both)
    // would only make the message longer.
    const extra = src.zoneLabels.filter((z) => !sameSet(src.selector?.inValues(z.key), z.values));
    if (extra.length > 0) parts.push(zoneLabelsText(extra));
    return parts.join('; ');
  }
  if (scope === 'any') return '(any node)';
  return scope
    .flatMap((key) => {
      const allowed = allowedValues(src, key);
      return allowed && allowed.size > 0 ? [`${key} in [${[...allowed].join(',')}]`] : [];
    })
    .join(', ');
}

function sameSet(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): boolean {
  return a !== undefined && a.size === b.size && [...a].every((v) => b.has(v));
}

/** Where a source is, for closeness scoring: its hostnames, zones and regions (any may be empty). */
export interface SourceLocation {
  readonly hostnames: ReadonlySet<string>;
  readonly zones: ReadonlySet<string>;
  readonly regions: ReadonlySet<string>;
}

/** The source's location from the well-known hostname/zone/region keys (GA and beta); undefined if none is known. */
export function sourceLocation(src: SourceTopology): SourceLocation | undefined {
  const union = (...keys: string[]) => {
    const s = new Set<string>();
    for (const k of keys) for (const v of allowedValues(src, k) ?? []) s.add(v);
    return s;
  };
  const loc = { hostnames: union(HOSTNAME), zones: union(ZONE, BETA_ZONE), regions: union(REGION, BETA_REGION) };
  return loc.hostnames.size + loc.zones.size + loc.regions.size === 0 ? undefined : loc;
}
