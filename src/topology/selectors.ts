/**
 * Compilation and matching of the selectors that decide where a volume can be used, with the exact
 * semantics of the upstream helpers:
 *
 * - PV `nodeAffinity.required` (a NodeSelector) is matched like the storage helpers' node affinity
 *   check: terms ORed; an empty term matches nothing; expressions within a term ANDed; a term with
 *   an invalid requirement never matches while other terms still can (the "lazy error" selector);
 *   zero terms match nothing. The scheduler checks PV affinity against a node built from the node's
 *   *labels only*, so `matchFields` are validated but never exclude a node.
 * - TopologySelectorTerms (StorageClass `allowedTopologies`, VolumeSnapshotContent `nodeAffinity`)
 *   are matched like the scheduling helpers' topology term matcher: an empty list matches every
 *   node; terms ORed; an empty term matches nothing; each expression is an `In` over node labels;
 *   an invalid term never matches.
 *
 * Pure: no I/O. Compile once per object, then call `matches` per node.
 */
import type { Labels, NodeSelector, TopologySelectorTerm } from '../cluster/types.js';
import { labelKeyError, labelValueError, parseInt64 } from './labels.js';

/** `Any` stands for a term whose only requirements are matchFields (checked against labels only). */
type Op = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | 'Any';

interface Requirement {
  readonly key: string;
  readonly op: Op;
  readonly values: readonly string[];
  /** For Gt/Lt: the parsed bound. */
  readonly bound?: bigint;
}

interface Term {
  readonly requirements: readonly Requirement[];
  /** Parse errors: a term with any never matches. */
  readonly errors: readonly string[];
}

/** A compiled selector over node labels. */
export interface LabelSelector {
  /** True when the labels satisfy the selector. */
  matches(labels: Labels): boolean;
  /** Every label key `matches` can read: its result depends on these labels and nothing else. */
  readonly keys: readonly string[];
  /** Human-readable form for reasons, e.g. `topology.kubernetes.io/zone in [zone-a]`. */
  readonly text: string;
  /** Parse errors of invalid terms (each such term never matches). */
  readonly errors: readonly string[];
  /**
   * The values the selector's valid terms allow for `key` through `In` requirements, unioned over
   * the terms (any term may be the one that holds); undefined when no valid term has an `In` on it.
   */
  inValues(key: string): ReadonlySet<string> | undefined;
}

const OPS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

function isStringArray(v: unknown): v is readonly string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Validates one label requirement the way the label selector requirement constructor does. */
function compileRequirement(rawKey: unknown, op: unknown, rawValues: unknown, path: string): Requirement | string[] {
  const errors: string[] = [];
  const key = typeof rawKey === 'string' ? rawKey : '';
  const valuesRaw: unknown = rawValues ?? [];
  if (!isStringArray(valuesRaw)) return [`${path}.values: must be a list of strings`];
  const values = valuesRaw;
  const keyErr = labelKeyError(key);
  if (keyErr) errors.push(`${path}.key: ${keyErr}`);
  if (typeof op !== 'string' || !OPS.has(op)) {
    return [...errors, `${path}.operator: unsupported operator "${String(op)}"`];
  }
  let bound: bigint | undefined;
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errors.push(`${path}.values: must be non-empty for operator ${op}`);
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) errors.push(`${path}.values: must be empty for operator ${op}`);
      break;
    default:
      if (values.length !== 1) errors.push(`${path}.values: operator ${op} needs exactly one value`);
      for (const v of values) {
        const n = parseInt64(v);
        if (n === undefined) errors.push(`${path}.values: "${v}" is not an integer (operator ${op})`);
        else bound = n;
      }
  }
  for (const v of values) {
    const valErr = labelValueError(v);
    if (valErr) errors.push(`${path}.values: ${valErr}`);
  }
  if (errors.length > 0) return errors;
  return bound === undefined ? { key, op: op as Op, values } : { key, op: op as Op, values, bound };
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'In':
      return has && r.values.includes(labels[r.key] as string);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Any':
      return true;
    default: {
      if (!has || r.bound === undefined) return false;
      const n = parseInt64(labels[r.key] as string);
      if (n === undefined) return false;
      return r.op === 'Gt' ? n > r.bound : n < r.bound;
    }
  }
}

function requirementText(r: Requirement): string {
  switch (r.op) {
    case 'In':
      return `${r.key} in [${r.values.join(',')}]`;
    case 'NotIn':
      return `${r.key} notin [${r.values.join(',')}]`;
    case 'Exists':
      return `${r.key} exists`;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Any':
      return '(any node)';
    default:
      return `${r.key} ${r.op === 'Gt' ? '>' : '<'} ${r.values[0] ?? ''}`;
  }
}

function buildSelector(terms: readonly Term[], matchAllWhenEmpty: boolean): LabelSelector {
  const valid = terms.filter((t) => t.errors.length === 0);
  const errors = terms.flatMap((t) => t.errors);
  const termText = (t: Term) =>
    t.requirements.length === 0 ? '(nothing)' : t.requirements.map(requirementText).join(', ');
  let text: string;
  if (terms.length === 0) text = matchAllWhenEmpty ? '(any node)' : '(no node)';
  else if (valid.length === 0) text = '(no valid term)';
  else text = valid.map(termText).join(' or ');
  const inCache = new Map<string, ReadonlySet<string> | undefined>();
  const keys = [...new Set(valid.flatMap((t) => t.requirements.filter((r) => r.op !== 'Any').map((r) => r.key)))];
  return {
    text,
    errors,
    keys,
    matches(labels: Labels): boolean {
      if (terms.length === 0) return matchAllWhenEmpty;
      for (const t of valid) {
        if (t.requirements.length > 0 && t.requirements.every((r) => requirementMatches(r, labels))) return true;
      }
      return false;
    },
    inValues(key: string): ReadonlySet<string> | undefined {
      if (inCache.has(key)) return inCache.get(key);
      let out: Set<string> | undefined;
      for (const t of valid) {
        for (const r of t.requirements) {
          if (r.key !== key || r.op !== 'In') continue;
          out ??= new Set();
          for (const v of r.values) out.add(v);
        }
      }
      inCache.set(key, out);
      return out;
    },
  };
}

/**
 * Compiles a PV's `spec.nodeAffinity.required`. Returns undefined when there is no `required`
 * selector (the PV imposes nothing). Never throws: malformed input becomes `errors`.
 */
export function compileVolumeNodeAffinity(required: NodeSelector | undefined): LabelSelector | undefined {
  if (required === undefined || required === null) return undefined;
  const rawTerms: unknown = required.nodeSelectorTerms ?? [];
  if (!Array.isArray(rawTerms)) {
    return buildSelector([{ requirements: [], errors: ['nodeSelectorTerms: must be a list'] }], false);
  }
  const terms: Term[] = [];
  rawTerms.forEach((raw, i) => {
    const path = `nodeSelectorTerms[${i}]`;
    const exprs: unknown = raw?.matchExpressions ?? [];
    const fields: unknown = raw?.matchFields ?? [];
    if (!Array.isArray(exprs) || !Array.isArray(fields)) {
      terms.push({ requirements: [], errors: [`${path}: matchExpressions and matchFields must be lists`] });
      return;
    }
    // An empty term selects nothing; the upstream selector drops it before matching.
    if (exprs.length === 0 && fields.length === 0) return;
    const requirements: Requirement[] = [];
    const errors: string[] = [];
    exprs.forEach((e, j) => {
      const r = compileRequirement(e?.key, e?.operator, e?.values, `${path}.matchExpressions[${j}]`);
      if (Array.isArray(r)) errors.push(...r);
      else requirements.push(r);
    });
    fields.forEach((f, j) => {
      // Field requirements must be In/NotIn with exactly one value, but PV affinity is checked
      // against labels only, so a valid one never excludes a node.
      const p = `${path}.matchFields[${j}]`;
      if (f?.operator !== 'In' && f?.operator !== 'NotIn') errors.push(`${p}.operator: must be In or NotIn`);
      else if (!isStringArray(f?.values) || f.values.length !== 1) errors.push(`${p}.values: must have one element`);
    });
    // A term with only matchFields has no label requirement: it matches every node (labels-only check).
    terms.push({ requirements: exprs.length === 0 ? [ANY] : requirements, errors });
  });
  // Only non-empty terms were kept; with none left the selector matches nothing.
  return buildSelector(terms.length === 0 ? [{ requirements: [], errors: [] }] : terms, false);
}

const ANY: Requirement = { key: '', op: 'Any', values: [] };

/**
 * Compiles TopologySelectorTerms (`allowedTopologies`, snapshot content `nodeAffinity`). An empty
 * list matches every node. Never throws.
 */
export function compileTopologyTerms(rawTerms: readonly TopologySelectorTerm[] | undefined): LabelSelector {
  if (rawTerms === undefined || rawTerms === null) return buildSelector([], true);
  if (!Array.isArray(rawTerms)) {
    return buildSelector([{ requirements: [], errors: ['topology terms: must be a list'] }], true);
  }
  const terms: Term[] = rawTerms.map((raw, i) => {
    const path = `[${i}]`;
    const exprs: unknown = raw?.matchLabelExpressions ?? [];
    if (!Array.isArray(exprs)) return { requirements: [], errors: [`${path}.matchLabelExpressions: must be a list`] };
    const requirements: Requirement[] = [];
    const errors: string[] = [];
    exprs.forEach((e, j) => {
      const r = compileRequirement(e?.key, 'In', e?.values, `${path}.matchLabelExpressions[${j}]`);
      if (Array.isArray(r)) errors.push(...r);
      else requirements.push(r);
    });
    return { requirements, errors };
  });
  return buildSelector(terms, true);
}
