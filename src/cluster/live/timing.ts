/**
 * Time as the live store sees it: wall-clock reads, timers and randomness are injected so tests can
 * run reconnect storms in milliseconds and assert exact delays.
 */
export interface Clock {
  /** Milliseconds since the epoch (for "last synced at" and the negative cache's TTL). */
  now(): number;
  /** Calls `fn` once after `ms`; the returned handle goes to `clearTimeout`. Must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** The real clock; its timers are unref'd, so a store alone never keeps a process running. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    // Only handles made by `setTimeout` above reach this.
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
  random: () => Math.random(),
};

/**
 * Capped exponential backoff with jitter: the n-th delay (from 0) is `min(maxMs, initialMs·factorⁿ)`
 * scaled down by up to `jitter` (uniformly), so restarts of many informers spread out instead of
 * hitting a recovering API server together. Defaults mirror client-go's reflector (800 ms doubling to
 * 30 s).
 */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Fraction in [0, 1] of the delay that is randomized away. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = Object.freeze({
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
});

export class Backoff {
  #attempt = 0;
  readonly #settings: BackoffSettings;
  readonly #random: () => number;

  constructor(settings: BackoffSettings, random: () => number) {
    this.#settings = settings;
    this.#random = random;
  }

  /** The delay before the next attempt; each call doubles (by `factor`) the base, up to the cap. */
  next(): number {
    const { initialMs, maxMs, factor } = this.#settings;
    const base = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 64);
    return jittered(this.#settings, this.#random, base);
  }

  /** Back to the initial delay (after a success). */
  reset(): void {
    this.#attempt = 0;
  }
}

/** `ms`, capped at `maxMs`, then reduced by a random fraction of up to `jitter`. */
export function jittered(settings: BackoffSettings, random: () => number, ms: number): number {
  return Math.round(Math.min(settings.maxMs, ms) * (1 - settings.jitter * random()));
}
