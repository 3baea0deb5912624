/**
 * The benchmark's sizes (profiles) and workloads, one per target of issue 5. Workload keys are
 * stable across profiles; titles carry the sizes.
 */
import type { PodKind } from './cluster.js';

export type Verb = 'filter' | 'prioritize';
export type Mode = 'names' | 'nodes';
/** `echo`: the baseline; `extender`: `serve` on the main state; `extender-many`: `serve` on the state with many volumes. */
export type ServerKey = 'echo' | 'extender' | 'extender-many';

export interface Sampling {
  /** Requests per server and verb before measuring (the first one's reply is validated). */
  readonly warmup: number;
  /** Interleaved rounds; each round sends `batch` requests to each server in turn (alternating order). */
  readonly rounds: number;
  readonly batch: number;
}

export interface Profile {
  readonly name: 'full' | 'quick' | 'smoke';
  readonly seed: number;
  /** Nodes in the cluster (the extender's cache) — also the "all names" request size. */
  readonly nodes: number;
  /** Bound PV/PVC pairs in the main state, and in the state of `extender-many` (target 5). */
  readonly volumes: number;
  readonly manyVolumes: number;
  /** Candidate names in a typical NodeNames request, and full Node objects in a Nodes-mode request. */
  readonly fewNames: number;
  readonly nodeObjects: number;
  readonly sampling: { readonly names: Sampling; readonly allNames: Sampling; readonly nodes: Sampling };
  /** Concurrency test: rounds, and requests per server and verb per round. */
  readonly burst: { readonly rounds: number; readonly requests: number; readonly concurrency: number };
  /** Reply sizes (bytes) at which the transfer floor of the names-c filter request is measured, one at a time and in flight. */
  readonly replySizes: readonly number[];
  /** Target 6: nodes and PV/PVC pairs (plus a snapshot and content per 10 pairs) synced by the live store. */
  readonly live: { readonly nodes: number; readonly volumes: number };
  /** `--sizing`: the clusters `serve` is measured on ([nodes, PV/PVC pairs]), and the rounds of calls. */
  readonly sizing: { readonly clusters: readonly (readonly [number, number])[]; readonly rounds: number };
}

export const PROFILES: Readonly<Record<Profile['name'], Profile>> = {
  full: {
    name: 'full',
    seed: 5,
    nodes: 5000,
    volumes: 1000,
    manyVolumes: 100_000,
    fewNames: 500,
    nodeObjects: 500,
    sampling: {
      names: { warmup: 200, rounds: 40, batch: 50 },
      allNames: { warmup: 50, rounds: 40, batch: 25 },
      nodes: { warmup: 4, rounds: 120, batch: 1 },
    },
    burst: { rounds: 10, requests: 1000, concurrency: 4 },
    replySizes: [16, 32, 48, 64, 80, 96, 128, 160].map((k) => k * 1024),
    live: { nodes: 5000, volumes: 50_000 },
    sizing: {
      clusters: [
        [100, 1000],
        [500, 5000],
        [2000, 20_000],
        [5000, 50_000],
      ],
      rounds: 300,
    },
  },
  quick: {
    name: 'quick',
    seed: 5,
    nodes: 5000,
    volumes: 1000,
    manyVolumes: 20_000,
    fewNames: 500,
    nodeObjects: 500,
    sampling: {
      names: { warmup: 100, rounds: 10, batch: 20 },
      allNames: { warmup: 20, rounds: 10, batch: 8 },
      nodes: { warmup: 2, rounds: 12, batch: 1 },
    },
    burst: { rounds: 3, requests: 200, concurrency: 4 },
    replySizes: [16, 64, 128].map((k) => k * 1024),
    live: { nodes: 5000, volumes: 50_000 },
    sizing: {
      clusters: [
        [500, 5000],
        [5000, 50_000],
      ],
      rounds: 50,
    },
  },
  smoke: {
    name: 'smoke',
    seed: 5,
    nodes: 60,
    volumes: 30,
    manyVolumes: 300,
    fewNames: 12,
    nodeObjects: 12,
    sampling: {
      names: { warmup: 1, rounds: 2, batch: 2 },
      allNames: { warmup: 1, rounds: 2, batch: 2 },
      nodes: { warmup: 1, rounds: 2, batch: 1 },
    },
    burst: { rounds: 1, requests: 8, concurrency: 4 },
    replySizes: [1024, 4096],
    live: { nodes: 20, volumes: 100 },
    sizing: { clusters: [[20, 50]], rounds: 2 },
  },
};

/** A bound on a ratio of the subject's figure to the baseline's: at most `max` (latency) or at least `min` (throughput). */
export interface Limit {
  readonly target: string;
  readonly max?: number;
  readonly min?: number;
}

export interface Workload {
  readonly key: string;
  readonly title: string;
  readonly mode: Mode;
  readonly pod: PodKind;
  readonly candidates: number;
  readonly sampling: Sampling;
  /** [baseline, subject]: the ratio is subject / baseline. */
  readonly servers: readonly [ServerKey, ServerKey];
  /** 1: latency series, one request at a time; more: throughput of that many requests in flight. */
  readonly concurrency: number;
  readonly limits: Readonly<Record<Verb, readonly Limit[]>>;
}

const both = (limits: readonly Limit[]): Readonly<Record<Verb, readonly Limit[]>> => ({
  filter: limits,
  prioritize: limits,
});

/**
 * The workloads for a profile. Target 4 (ahead of a Go encoding/json extender) is checked against
 * the lower end of the Go extender's measured ratio to echo for the request's shape (1.5× for a
 * few hundred names, 2× for thousands of names or a Nodes-mode body).
 */
export function workloads(p: Profile): Workload[] {
  const few = p.fewNames;
  const all = p.nodes;
  const objs = p.nodeObjects;
  const go = { names: { target: 'T4', max: 1.5 }, allNames: { target: 'T4', max: 2 }, nodes: { target: 'T4', max: 2 } };
  const base = { concurrency: 1, servers: ['echo', 'extender'] as const };
  return [
    {
      key: 'names-c-many-volumes',
      title: `NodeNames ${few}, pod (c): ${p.manyVolumes} vs ${p.volumes} PVs/PVCs`,
      mode: 'names',
      pod: 'c',
      candidates: few,
      // First, while both extenders have served nothing: a process that has served tens of
      // thousands of calls runs them faster than a fresh one (measured: names-c filter in 0.62 ms
      // after 300 calls, 0.48 ms after 99,000), so a later T5 would compare process ages.
      sampling: { ...p.sampling.names, warmup: p.sampling.names.warmup * 10 },
      servers: ['extender', 'extender-many'],
      concurrency: 1,
      limits: both([{ target: 'T5', max: 1.1 }]),
    },
    {
      ...base,
      key: 'names-c',
      title: `NodeNames ${few} of ${all}, pod (c)`,
      mode: 'names',
      pod: 'c',
      candidates: few,
      sampling: p.sampling.names,
      limits: both([{ target: 'T1', max: 1.5 }, go.names]),
    },
    {
      ...base,
      key: 'names-all-c',
      title: `NodeNames ${all} of ${all}, pod (c)`,
      mode: 'names',
      pod: 'c',
      candidates: all,
      sampling: p.sampling.allNames,
      limits: both([{ target: 'T1', max: 2 }, go.allNames]),
    },
    {
      ...base,
      key: 'nodes-c',
      title: `Nodes ${objs} objects, pod (c)`,
      mode: 'nodes',
      pod: 'c',
      candidates: objs,
      sampling: p.sampling.nodes,
      limits: { filter: [{ target: 'T2', max: 0.8 }, go.nodes], prioritize: [go.nodes] },
    },
    {
      ...base,
      key: 'nodes-a',
      title: `Nodes ${objs} objects, pod (a)`,
      mode: 'nodes',
      pod: 'a',
      candidates: objs,
      sampling: p.sampling.nodes,
      limits: both([{ target: 'T3', max: 0.5 }, go.nodes]),
    },
    {
      ...base,
      key: 'names-a',
      title: `NodeNames ${few} of ${all}, pod (a)`,
      mode: 'names',
      pod: 'a',
      candidates: few,
      sampling: p.sampling.names,
      limits: both([{ target: 'T3', max: 1.05 }, go.names]),
    },
    {
      ...base,
      key: 'nodes-b',
      title: `Nodes ${objs} objects, pod (b)`,
      mode: 'nodes',
      pod: 'b',
      candidates: objs,
      sampling: p.sampling.nodes,
      limits: both([go.nodes]),
    },
    {
      ...base,
      key: 'names-b',
      title: `NodeNames ${few} of ${all}, pod (b)`,
      mode: 'names',
      pod: 'b',
      candidates: few,
      sampling: p.sampling.names,
      limits: both([go.names]),
    },
    {
      key: 'names-c-concurrency',
      title: `NodeNames ${few} of ${all}, pod (c), ${p.burst.concurrency} in flight`,
      mode: 'names',
      pod: 'c',
      candidates: few,
      sampling: { warmup: p.sampling.names.warmup, rounds: p.burst.rounds, batch: p.burst.requests },
      servers: ['echo', 'extender'],
      concurrency: p.burst.concurrency,
      limits: both([{ target: 'T7', min: 0.7 }]),
    },
  ];
}
