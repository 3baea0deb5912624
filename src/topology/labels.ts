/**
 * Label key/value validation and Go-compatible integer parsing, as the API machinery's label
 * selector requirement constructor applies them. Pure.
 */

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label key (a qualified name with an optional DNS-subdomain prefix), or undefined. */
export function labelKeyError(key: string): string | undefined {
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = key;
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) return `invalid label key "${key}": prefix part must be non-empty`;
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `invalid label key "${key}": prefix must be a DNS-1123 subdomain`;
    }
  } else {
    return `invalid label key "${key}": at most one "/" is allowed`;
  }
  if (name.length === 0) return `invalid label key "${key}": name part must be non-empty`;
  if (name.length > 63) return `invalid label key "${key}": name part must be no more than 63 characters`;
  if (!QUALIFIED_NAME.test(name)) {
    return `invalid label key "${key}": name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Why `value` is not a valid label value (empty is valid), or undefined. */
export function labelValueError(value: string): string | undefined {
  if (value.length > 63) return `invalid label value "${value}": must be no more than 63 characters`;
  if (!LABEL_VALUE.test(value)) {
    return `invalid label value "${value}": must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE10 = /^[+-]?[0-9]+$/;

/** Parses like Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, int64 range; else undefined. */
export function parseInt64(s: string): bigint | undefined {
  if (!BASE10.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/**
 * Splits a legacy multi-zone label value on `__`, trimming each part, as the cloud-provider volume
 * helpers do; undefined when a part is empty (the scheduler then ignores the label).
 */
export function splitZones(value: string): ReadonlySet<string> | undefined {
  const out = new Set<string>();
  for (const part of value.split('__')) {
    const zone = part.trim();
    if (zone === '') return undefined;
    out.add(zone);
  }
  return out;
}
