/**
 * Legacy zone/region labels on PersistentVolumes, matched like the scheduler's VolumeZone plugin.
 * Pure.
 */
import type { Labels } from '../cluster/types.js';
import { splitZones } from './labels.js';

export const ZONE = 'topology.kubernetes.io/zone';
export const REGION = 'topology.kubernetes.io/region';
export const BETA_ZONE = 'failure-domain.beta.kubernetes.io/zone';
export const BETA_REGION = 'failure-domain.beta.kubernetes.io/region';
export const HOSTNAME = 'kubernetes.io/hostname';

const TOPOLOGY_LABELS = [BETA_ZONE, BETA_REGION, ZONE, REGION] as const;

/** Every node label `zoneLabelsMatch` can read. */
export const ZONE_LABEL_KEYS: readonly string[] = TOPOLOGY_LABELS;

/** The GA key a beta key stands for (a beta PV label is also satisfied by the node's GA label). */
function gaKey(key: string): string {
  if (key === BETA_ZONE) return ZONE;
  if (key === BETA_REGION) return REGION;
  return key;
}

export interface ZoneLabel {
  readonly key: string;
  readonly values: ReadonlySet<string>;
}

/**
 * The PV's legacy topology labels with their allowed values (multi-zone values split on `__`);
 * labels with an empty part are ignored, as the scheduler does.
 */
export function volumeZoneLabels(pvLabels: Labels | undefined): readonly ZoneLabel[] {
  if (!pvLabels || typeof pvLabels !== 'object') return [];
  const out: ZoneLabel[] = [];
  for (const key of TOPOLOGY_LABELS) {
    const value = pvLabels[key];
    if (typeof value !== 'string') continue;
    const values = splitZones(value);
    if (values) out.push({ key, values });
  }
  return out;
}

/**
 * True when the node satisfies the PV's zone labels: a node carrying none of the four topology
 * labels is not constrained; otherwise, for each PV label, the node's value for the same key (or,
 * for a beta key the node lacks, the GA key) must be one of the PV's values.
 */
export function zoneLabelsMatch(zoneLabels: readonly ZoneLabel[], nodeLabels: Labels): boolean {
  if (zoneLabels.length === 0) return true;
  if (!TOPOLOGY_LABELS.some((k) => Object.hasOwn(nodeLabels, k))) return true;
  for (const { key, values } of zoneLabels) {
    let v = Object.hasOwn(nodeLabels, key) ? nodeLabels[key] : undefined;
    if (v === undefined) v = Object.hasOwn(nodeLabels, gaKey(key)) ? nodeLabels[gaKey(key)] : undefined;
    if (v === undefined || !values.has(v)) return false;
  }
  return true;
}

/** `topology.kubernetes.io/zone in [a,b]`-style text for reasons. */
export function zoneLabelsText(zoneLabels: readonly ZoneLabel[]): string {
  return zoneLabels.map((z) => `${z.key} in [${[...z.values].join(',')}]`).join(', ');
}
