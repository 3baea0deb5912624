/**
 * What the request handlers report about each call. The Prometheus implementation lives in
 * `metrics.ts`; `noopObserver` is used where nobody collects (tests, `explain`).
 */
export interface RequestObserver {
  /** One finished HTTP call: verb `filter` | `prioritize`, outcome `ok` | `error` (reply carried Error) | `bad_request` | `too_large` | `internal`. */
  request(verb: string, outcome: string, seconds: number): void;
  /** One filter decision: how many candidate nodes passed and failed. */
  filterNodes(passed: number, failed: number): void;
  /** `count` nodes (default 1) rejected for this reason code; a filter call reports each code once. */
  rejection(code: string, count?: number): void;
  /** A pod decided without looking at nodes (no constraining claim). */
  fastPath(verb: string): void;
  /** Something went wrong that the operator should see counted (`decode`, `cannot_decide`, `read_through`, …). */
  error(kind: string): void;
}

export const noopObserver: RequestObserver = {
  request() {},
  filterNodes() {},
  rejection() {},
  fastPath() {},
  error() {},
};
