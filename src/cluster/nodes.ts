/**
 * Nodes as the stores hand them to decisions: a `NodeEntry` is made once per Node object and lives
 * as long as it, so what a decision derives from a node's labels is computed once, not on every
 * call; a `KeySet` names the labels a pod's checks read (see `NodeTable` for the layout). Pure.
 */
import { computePlace, type Place } from '../topology/evaluate.js';
import type { NodeView } from '../topology/source.js';
import { labelsOf } from './access.js';
import type { Labels, Node } from './types.js';

/** A set of label keys, interned: the same keys give the same object while it is in use. */
export class KeySet {
  static readonly #interned = new Map<string, KeySet>();
  /** Key sets come from cluster objects and config, so there are few; the bound only guards memory. */
  static readonly #MAX = 1_024;

  private constructor(readonly keys: readonly string[]) {}

  /** The interned set of `keys` (order and repeats do not matter). */
  static of(keys: Iterable<string>): KeySet {
    const sorted = [...new Set(keys)].sort();
    const id = JSON.stringify(sorted);
    let set = KeySet.#interned.get(id);
    if (set === undefined) {
      if (KeySet.#interned.size >= KeySet.#MAX) KeySet.#interned.clear();
      set = new KeySet(sorted);
      KeySet.#interned.set(id, set);
    }
    return set;
  }

  /**
   * The labels' values at these keys as one string: two label sets give the same string exactly
   * when each key is absent from both or has the same value in both.
   */
  signature(labels: Labels): string {
    return JSON.stringify(this.keys.map((k) => (Object.hasOwn(labels, k) ? labels[k] : null)));
  }
}

/** A DataView of the bytes of `buf`, for reading and writing them a word at a time. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** `s` as a JSON string literal in ASCII (characters beyond ASCII as `\uXXXX`, which Go decodes alike). */
export function asciiJson(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  return JSON.stringify(s).replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Printable ASCII other than `"` and `\`: a string of these is its own JSON string literal body. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;

/** A stored Node with what decisions read from it. Immutable. */
export class NodeEntry implements NodeView {
  readonly labels: Labels;
  /** Where the node is (well-known hostname, zone and region labels), for scoring. */
  readonly place: Place;

  constructor(
    readonly name: string,
    readonly node: Node,
  ) {
    this.labels = labelsOf(node);
    this.place = computePlace(this.labels);
  }
}
