/**
 * Guards for reading objects whose shape is not trusted (files, the API server, requests): a field
 * of the wrong type reads as absent. Pure.
 */
import type { Labels } from './types.js';

/** No labels: one shared frozen object. */
export const NO_LABELS: Labels = Object.freeze({});

/**
 * The object's `metadata.labels`, or one shared empty set when they are missing or not a mapping
 * (shared, so that memos keyed by the labels object keep hitting).
 */
export function labelsOf(obj: { readonly metadata?: { readonly labels?: unknown } } | undefined): Labels {
  const l = obj?.metadata?.labels;
  return l && typeof l === 'object' && !Array.isArray(l) ? (l as Labels) : NO_LABELS;
}

/** `v` when it is a non-empty string, else undefined. */
export function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
