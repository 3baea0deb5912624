/**
 * AssemblyScript, compiled to WebAssembly by `npm run build:wasm` (not by tsc): the scanner's
 * `skip` (`../scan.ts`) for bodies that live in a WebAssembly memory (`../wasm.ts`). It validates
 * one JSON value and finds its end, with the same grammar, nesting limit and end offsets as the
 * TypeScript `skip`, and crosses strings sixteen bytes at a time with SIMD. It does not say what is
 * wrong with an invalid value: the TypeScript `skip` scans that value again for the message.
 *
 * Memory: bytes [0, MAX_DEPTH] hold the containers open during a call; bodies start at BODY_START.
 */

const MAX_DEPTH: i32 = 10000;
/** Where a body starts in memory (the first 16 KiB hold the stack of open containers); `../wasm.ts` reads it. */
export const BODY_START: i32 = 16384;

const QUOTE: i32 = 0x22;
const BACKSLASH: i32 = 0x5c;
const COLON: i32 = 0x3a;
const COMMA: i32 = 0x2c;
const LBRACE: i32 = 0x7b;
const RBRACE: i32 = 0x7d;
const LBRACKET: i32 = 0x5b;
const RBRACKET: i32 = 0x5d;
const MINUS: i32 = 0x2d;
const PLUS: i32 = 0x2b;
const DOT: i32 = 0x2e;
const ZERO: i32 = 0x30;
const NINE: i32 = 0x39;

function isSpace(c: i32): bool {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: i32): bool {
  return c >= ZERO && c <= NINE;
}

function isHex(c: i32): bool {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** The byte at `p`, or -1 at or past `n`. */
function at(p: i32, n: i32): i32 {
  return p < n ? <i32>load<u8>(p) : -1;
}

function spaceEnd(p: i32, n: i32): i32 {
  while (p < n && isSpace(<i32>load<u8>(p))) p++;
  return p;
}

/**
 * The closing quote of a string whose characters start at `p`, or -1 when the string is invalid
 * (a control character, a bad escape) or not closed before `n`.
 */
function closeString(p: i32, n: i32): i32 {
  const quotes = i8x16.splat(<i8>QUOTE);
  const backslashes = i8x16.splat(<i8>BACKSLASH);
  const spaces = i8x16.splat(<i8>0x20);
  while (p < n) {
    // Sixteen bytes at a time to the first quote, backslash or control character.
    while (p + 16 <= n) {
      const v = v128.load(p);
      const stops = v128.or(v128.or(i8x16.eq(v, quotes), i8x16.eq(v, backslashes)), i8x16.lt_u(v, spaces));
      const mask = i8x16.bitmask(stops);
      if (mask !== 0) {
        p += ctz(mask);
        break;
      }
      p += 16;
    }
    while (p < n) {
      const c = <i32>load<u8>(p);
      if (c === QUOTE) return p;
      if (c === BACKSLASH) break;
      if (c < 0x20) return -1;
      p++;
    }
    // A backslash at p (or the end).
    const e = at(p + 1, n);
    if (e === 0x75) {
      if (
        !(
          p + 5 < n &&
          isHex(load<u8>(p + 2)) &&
          isHex(load<u8>(p + 3)) &&
          isHex(load<u8>(p + 4)) &&
          isHex(load<u8>(p + 5))
        )
      ) {
        return -1;
      }
      p += 6;
    } else if (
      e === QUOTE ||
      e === BACKSLASH ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    ) {
      p += 2;
    } else return -1;
  }
  return -1;
}

/** The end of the number at `p`, or -1. */
function number(p: i32, n: i32): i32 {
  if (at(p, n) === MINUS) p++;
  let c = at(p, n);
  if (c === ZERO) c = at(++p, n);
  else if (c > ZERO && c <= NINE) {
    do c = at(++p, n);
    while (isDigit(c));
  } else return -1;
  if (c === DOT) {
    if (!isDigit(at(++p, n))) return -1;
    do c = at(++p, n);
    while (isDigit(c));
  }
  if (c === 0x65 || c === 0x45) {
    c = at(++p, n);
    if (c === PLUS || c === MINUS) c = at(++p, n);
    if (!isDigit(c)) return -1;
    do c = at(++p, n);
    while (isDigit(c));
  }
  return p;
}

/** An object key at `p` (after optional whitespace) and the `:` after it: the offset after the `:`, or -1. */
function memberKey(p: i32, n: i32): i32 {
  if (at(p, n) !== QUOTE) {
    p = spaceEnd(p, n);
    if (at(p, n) !== QUOTE) return -1;
  }
  p = closeString(p + 1, n);
  if (p < 0) return -1;
  p++;
  if (at(p, n) !== COLON) {
    p = spaceEnd(p, n);
    if (at(p, n) !== COLON) return -1;
  }
  return p + 1;
}

/**
 * Validates the JSON value at `p` (or after whitespace there), within memory [0, n): the offset
 * after it, or -1 when it is invalid or does not end before `n`. `depth` is the nesting depth of
 * its container (containers nest at most MAX_DEPTH deep).
 */
export function skip(p: i32, n: i32, depth: i32): i32 {
  let open: i32 = 0; // containers open at memory [0, open): 1 for an object, 0 for an array
  for (;;) {
    // A value starts at p (or after whitespace).
    const c = at(p, n);
    if (c === QUOTE) {
      p = closeString(p + 1, n);
      if (p < 0) return -1;
      p++;
    } else if (c === LBRACE || c === LBRACKET) {
      if (depth + open + 1 > MAX_DEPTH) return -1;
      const end = c === LBRACE ? RBRACE : RBRACKET;
      p = spaceEnd(p + 1, n);
      if (at(p, n) === end) p++;
      else {
        store<u8>(open++, c === LBRACE ? 1 : 0);
        if (c === LBRACE) {
          p = memberKey(p, n);
          if (p < 0) return -1;
        }
        continue;
      }
    } else if (c >= ZERO ? c <= NINE : c === MINUS) {
      p = number(p, n);
      if (p < 0) return -1;
    } else if (c === 0x74) {
      if (p + 4 > n || load<u32>(p) !== 0x65757274) return -1; // true
      p += 4;
    } else if (c === 0x66) {
      if (p + 5 > n || load<u32>(p + 1) !== 0x65736c61) return -1; // false
      p += 5;
    } else if (c === 0x6e) {
      if (p + 4 > n || load<u32>(p) !== 0x6c6c756e) return -1; // null
      p += 4;
    } else if (isSpace(c)) {
      p = spaceEnd(p, n);
      continue;
    } else return -1;
    // After a value: continue the innermost container, or close containers until one continues.
    for (;;) {
      if (open === 0) return p;
      const d = at(p, n);
      const inObject = load<u8>(open - 1) === 1;
      if (d === COMMA) {
        if (inObject) {
          p = memberKey(p + 1, n);
          if (p < 0) return -1;
        } else p++;
        break;
      }
      if (d === (inObject ? RBRACE : RBRACKET)) {
        p++;
        open--;
      } else if (isSpace(d)) p = spaceEnd(p, n);
      else return -1;
    }
  }
  // biome-ignore lint/correctness/noUnreachable: AssemblyScript wants a return after the loop, which returns
  return -1;
}
