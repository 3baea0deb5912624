/**
 * What the request decoder keeps of a Pod, computed from the whole Pod as `JSON.parse` gives it:
 * `metadata.name`, `.namespace` and `.uid`, and `spec.volumes` (a `metadata` or `spec` that is not
 * an object is kept whole). The oracle for the decoder, which builds only these parts.
 */
export function decodedPod(pod: unknown): unknown {
  if (!isObject(pod)) throw new Error('not a Pod object');
  const out: Record<string, unknown> = {};
  if (Object.hasOwn(pod, 'metadata')) out.metadata = pick(pod.metadata, ['name', 'namespace', 'uid']);
  if (Object.hasOwn(pod, 'spec')) out.spec = pick(pod.spec, ['volumes']);
  return out;
}

function pick(value: unknown, keys: readonly string[]): unknown {
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(value, k)) out[k] = value[k];
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
