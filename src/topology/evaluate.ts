/**
 * Per-node evaluation of a pod's gathered volume facts, and closeness scoring. Pure and
 * synchronous: everything expensive was compiled when the facts were gathered.
 */
import type { Labels } from '../cluster/types.js';
import type { Reason } from './reasons.js';
import type { NodeView, SourceLocation } from './source.js';
import { BETA_REGION, BETA_ZONE, HOSTNAME, REGION, ZONE } from './zones.js';

/** One condition a node must meet; without `test` no node can meet it (a pod-level problem). */
export interface Check {
  readonly reason: Reason;
  readonly test?: (node: NodeView) => boolean;
  /**
   * The node labels `test` reads, when its result depends on them and on nothing else (not on the
   * node's name): nodes with the same values there get the same result. Absent: no such promise.
   */
  readonly keys?: readonly string[] | undefined;
}

/** Everything about a pod's claims that node evaluation needs, gathered once per request. */
export interface PodFacts {
  /** `namespace/name` of the pod. */
  readonly pod: string;
  /** Conditions from all claims, ANDed. Empty: the pod takes the fast path. */
  readonly checks: readonly Check[];
  /** Locations of the sources of unbound WaitForFirstConsumer clone/restore claims, for scoring. */
  readonly locations: readonly SourceLocation[];
  /** Pod-level remarks for people (`explain`), e.g. a restore whose source location is unknown. */
  readonly notes: readonly string[];
  /** Claims that could not be decided because an object they depend on could not be read. */
  readonly undecidable: readonly string[];
}

export type Verdict = { readonly fits: true } | { readonly fits: false; readonly reasons: readonly Reason[] };

const FITS: Verdict = { fits: true };

/** True when the facts constrain nodes at all (false: every node fits, every score is 0). */
export function constrains(facts: PodFacts): boolean {
  return facts.checks.length > 0;
}

/** The verdict for one node: fits, or every reason it does not. */
export function evaluateNode(facts: PodFacts, node: NodeView): Verdict {
  let reasons: Reason[] | undefined;
  for (const check of facts.checks) {
    if (check.test?.(node)) continue;
    reasons ??= [];
    reasons.push(check.reason);
  }
  return reasons ? { fits: false, reasons } : FITS;
}

/** Highest score kube-scheduler accepts from an extender (extender/v1 MaxExtenderPriority). */
export const MAX_SCORE = 10;
/** Closeness points: same node as the source, same zone, same region, elsewhere. */
export const CLOSENESS = { node: 10, zone: 6, region: 3, elsewhere: 0 } as const;

/** A node's values for the well-known hostname, zone and region keys (GA and beta), in that order. */
export interface Place {
  readonly hostname: readonly string[];
  readonly zone: readonly string[];
  readonly region: readonly string[];
}

/**
 * Places by labels object: a store's node keeps its labels object until the node changes, so
 * scoring thousands of candidates reads each one's five well-known labels once, not per request
 * (a keyed lookup in a node's ~40 labels costs more than the rest of scoring).
 */
const places = new WeakMap<Labels, Place>();

/** The node's place from its labels (not memoized: see `placeOf`). */
export function computePlace(labels: Labels): Place {
  const values = (keys: readonly string[]) =>
    keys.flatMap((k) => {
      const v = Object.hasOwn(labels, k) ? labels[k] : undefined;
      return v === undefined ? [] : [v];
    });
  return { hostname: values([HOSTNAME]), zone: values([ZONE, BETA_ZONE]), region: values([REGION, BETA_REGION]) };
}

function placeOf(labels: Labels): Place {
  let place = places.get(labels);
  if (place === undefined) {
    place = computePlace(labels);
    places.set(labels, place);
  }
  return place;
}

/** A node that may carry its place already (a store's node entry computes it once). */
export type PlacedNode = NodeView & { readonly place?: Place };

function hasAny(values: readonly string[], set: ReadonlySet<string>): boolean {
  for (const v of values) if (set.has(v)) return true;
  return false;
}

/** Closeness of a node at `place` to one source location (see CLOSENESS). */
function closeness(loc: SourceLocation, place: Place): number {
  if (hasAny(place.hostname, loc.hostnames)) return CLOSENESS.node;
  if (hasAny(place.zone, loc.zones)) return CLOSENESS.zone;
  if (hasAny(place.region, loc.regions)) return CLOSENESS.region;
  return CLOSENESS.elsewhere;
}

/**
 * The node labels `scoreNode(facts, node)` reads: the well-known keys of the kinds of place (node,
 * zone, region) that some source location names. Nodes that agree on them score alike.
 */
export function scoreKeys(facts: PodFacts): readonly string[] {
  const keys: string[] = [];
  if (facts.locations.some((l) => l.hostnames.size > 0)) keys.push(HOSTNAME);
  if (facts.locations.some((l) => l.zones.size > 0)) keys.push(ZONE, BETA_ZONE);
  if (facts.locations.some((l) => l.regions.size > 0)) keys.push(REGION, BETA_REGION);
  return keys;
}

/** The node's score 0–10: mean closeness over source locations, rounded half up; 0 when none. */
export function scoreNode(facts: PodFacts, node: PlacedNode): number {
  if (facts.locations.length === 0) return 0;
  const place = node.place ?? placeOf(node.labels);
  let sum = 0;
  for (const loc of facts.locations) sum += closeness(loc, place);
  return Math.min(MAX_SCORE, Math.round(sum / facts.locations.length));
}
