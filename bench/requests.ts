/**
 * Request bodies exactly as kube-scheduler writes them (Go's encoding/json of the untagged
 * `ExtenderArgs` struct: PascalCase keys, compact, both `Nodes` and `NodeNames` present, one null),
 * and the state files `serve --state` loads.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { GeneratedNode, JsonObject } from './cluster.js';

/** `nodeCacheCapable: false`: the full candidate Node objects (filter and prioritize bodies are identical). */
export function nodesModeBody(pod: JsonObject, nodes: readonly GeneratedNode[]): Buffer {
  const items = nodes.map((n) => JSON.stringify(n.object)).join(',');
  return Buffer.from(`{"Pod":${JSON.stringify(pod)},"Nodes":{"metadata":{},"items":[${items}]},"NodeNames":null}`);
}

/** `nodeCacheCapable: true`: only the candidate names. */
export function nodeNamesModeBody(pod: JsonObject, names: readonly string[]): Buffer {
  return Buffer.from(`{"Pod":${JSON.stringify(pod)},"Nodes":null,"NodeNames":${JSON.stringify(names)}}`);
}

/** A Node as stored by the API server (with its TypeMeta, which request bodies do not carry). */
export function nodeWithTypeMeta(node: GeneratedNode): JsonObject {
  return { apiVersion: 'v1', kind: 'Node', ...node.object };
}

/**
 * Writes `objects` to `file` as one `{"apiVersion":"v1","kind":"List","items":[…]}` JSON document,
 * in chunks, so that states larger than the engine's maximum string length can be written. Does I/O.
 */
export function writeListFile(file: string, objects: Iterable<JsonObject>): number {
  const fd = openSync(file, 'w');
  let bytes = 0;
  let chunk: string[] = [];
  let chunkLength = 0;
  const flush = (): void => {
    const buf = Buffer.from(chunk.join(''));
    writeSync(fd, buf);
    bytes += buf.length;
    chunk = [];
    chunkLength = 0;
  };
  try {
    chunk.push('{"apiVersion":"v1","kind":"List","metadata":{},"items":[');
    let first = true;
    for (const object of objects) {
      const text = JSON.stringify(object);
      chunk.push(first ? text : `,${text}`);
      chunkLength += text.length;
      first = false;
      if (chunkLength > 4 * 1024 * 1024) flush();
    }
    chunk.push(']}\n');
    flush();
  } finally {
    closeSync(fd);
  }
  return bytes;
}
