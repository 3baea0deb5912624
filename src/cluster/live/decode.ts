/**
 * Incremental decoding of a Kubernetes list body (`{"kind":"…List","metadata":{…},"items":[…]}`)
 * as it arrives: each element of the top-level `items` array is parsed on its own as soon as its
 * last byte is in, and handed to a callback (which prunes it), so neither the page's text nor its
 * unpruned objects are ever held whole. A page of 500 nodes is ~10 MB of JSON; decoding it at once
 * needed a buffer and a string of that size and ~30 MB of short-lived objects, and that transient
 * memory, not the cached objects, is what made the process's RSS (see docs/LIVE.md, "Memory").
 *
 * The scanner only tracks strings, nesting and the top-level `items` key; each item and the rest
 * of the body (with `items` emptied) are parsed with `JSON.parse`, so malformed JSON is still
 * rejected. Pure; no I/O.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const ITEMS = Buffer.from('items');

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Thrown for a body that is not JSON. */
export class NotJsonError extends Error {}

export class ListDecoder {
  readonly #onItem: (item: unknown) => void;
  /** Nesting depth at the scan position (1 inside the top-level object). */
  #depth = 0;
  #inString = false;
  /** The previous chunk ended inside a string, right after a backslash. */
  #escaped = false;
  /** Depth-1 strings (keys like `items`, and short values) are collected to recognize the key. */
  #depth1String: Buffer[] | undefined;
  #lastDepth1String = Buffer.alloc(0);
  /** Inside the top-level `items` array (its elements are at depth 2 and deeper). */
  #inItems = false;
  /** The pieces of the current item, or undefined between items. */
  #item: Buffer[] | undefined;
  /** Everything outside `items`, to parse at the end. */
  readonly #rest: Buffer[] = [];

  constructor(onItem: (item: unknown) => void) {
    this.#onItem = onItem;
  }

  /** Scans one chunk; calls `onItem` for every item it completes. Throws `NotJsonError` on an item that is not JSON. */
  write(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    // Where the current run of bytes for the item (or for the rest of the body) starts.
    let runStart = 0;
    // The next backslash at or after `i` (-1: none left in this chunk), found once per backslash.
    let backslash = chunk.indexOf(BACKSLASH);
    while (i < n) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          this.#depth1String?.push(chunk.subarray(i, i + 1));
          i++;
          continue;
        }
        const quote = chunk.indexOf(QUOTE, i);
        const end = quote < 0 ? n : quote;
        if (backslash >= 0 && backslash < i) backslash = chunk.indexOf(BACKSLASH, i);
        if (backslash >= 0 && backslash < end) {
          // Skip the escaped byte (it may be a quote), or remember to skip it in the next chunk.
          this.#depth1String?.push(chunk.subarray(i, Math.min(backslash + 2, n)));
          if (backslash + 1 >= n) this.#escaped = true;
          i = backslash + 2;
          continue;
        }
        this.#depth1String?.push(chunk.subarray(i, end));
        if (quote < 0) break;
        this.#inString = false;
        if (this.#depth1String !== undefined) {
          this.#lastDepth1String = Buffer.concat(this.#depth1String);
          this.#depth1String = undefined;
        }
        i = quote + 1;
        continue;
      }
      const byte = chunk[i] as number;
      if (this.#inItems && this.#depth === 2) {
        if (this.#item === undefined) {
          // Between items: whitespace, a separator, or the end of the array.
          if (isSpace(byte) || byte === COMMA) {
            i++;
            continue;
          }
          if (byte === CLOSE_BRACKET) {
            this.#inItems = false;
            this.#depth = 1;
            runStart = i;
            i++;
            continue;
          }
          this.#item = [];
          runStart = i;
        } else if (byte === COMMA || byte === CLOSE_BRACKET) {
          // A separator or the end of the array at the items' level ends the item.
          this.#item.push(chunk.subarray(runStart, i));
          this.#emit();
          if (byte === CLOSE_BRACKET) {
            this.#inItems = false;
            this.#depth = 1;
            runStart = i;
          }
          i++;
          continue;
        }
      }
      if (byte === QUOTE) {
        this.#inString = true;
        if (this.#depth === 1) this.#depth1String = [];
      } else if (byte === OPEN_BRACKET && this.#depth === 1 && this.#lastDepth1String.equals(ITEMS)) {
        // `"items": [`: the rest of the body keeps an empty array.
        this.#rest.push(chunk.subarray(runStart, i + 1));
        this.#inItems = true;
        this.#depth = 2;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.#depth++;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.#depth--;
      }
      i++;
    }
    if (this.#item !== undefined) this.#item.push(chunk.subarray(runStart, n));
    else if (!this.#inItems) this.#rest.push(chunk.subarray(runStart, n));
  }

  /** Parses what is left (the body without its items) and returns it. Throws `NotJsonError` if it is not JSON. */
  end(): unknown {
    if (this.#item !== undefined || this.#inItems) throw new NotJsonError('list body ends inside items');
    return parse(Buffer.concat(this.#rest));
  }

  #emit(): void {
    const pieces = this.#item ?? [];
    this.#item = undefined;
    const text = (pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces)).toString('utf8');
    this.#onItem(parseText(text));
  }
}

function parse(bytes: Buffer): unknown {
  return parseText(bytes.toString('utf8'));
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new NotJsonError('not JSON');
  }
}
