/**
 * What the demo state (`examples/demo/cluster.yaml`) must produce, worked out by hand from the rules
 * and the built-in presets in `config/default.yaml`:
 *
 * - `pv-db-data` (ebs.csi.aws.com) has nodeAffinity zone In [zone-a] and the legacy label
 *   region=region-1; EBS clones take the source topology (`clone: source`), so only zone-a nodes fit.
 *   Its location for closeness is zone-a / region-1: zone-a nodes score 6, other region-1 nodes 3.
 * - `db-data-snap`'s content names pv-db-data's volume handle, so the restore's source is pv-db-data;
 *   EBS restores are keyed by region (`restore: [topology.kubernetes.io/region]`): every node is in
 *   region-1, so every node fits, with the same closeness scores.
 * - `pv-cache` (topolvm.io) has nodeAffinity topology.topolvm.io/node In [node-b1]: only node-b1 fits;
 *   that key is driver-specific, so the source location is unknown and every score is 0.
 * - `web` has no claims: fast path, every node fits with score 0.
 */

/** The order the demo requests list the nodes in (as a scheduler might: not sorted). */
export const REQUEST_ORDER = ['node-a1', 'node-b1', 'node-c1', 'node-a2', 'node-b2', 'node-c2'] as const;

/** The order of the nodes in the state file (what `explain` evaluates without `--nodes`). */
export const STATE_ORDER = ['node-a1', 'node-a2', 'node-b1', 'node-b2', 'node-c1', 'node-c2'] as const;

/** Reason messages, as kube-scheduler puts them in the pod's FailedScheduling event. */
export const CLONE_DB_MESSAGE =
  'clone pvc "demo/db-data-clone" needs a node in the topology of source pv "pv-db-data": ' +
  'topology.kubernetes.io/zone in [zone-a]; topology.kubernetes.io/region in [region-1]';
export const CLONE_CACHE_MESSAGE =
  'clone pvc "demo/cache-clone" needs a node in the topology of source pv "pv-cache": topology.topolvm.io/node in [node-b1]';

export type DemoNode = (typeof STATE_ORDER)[number];

/** Closeness to a source in zone-a of region-1 (same zone 6, same region 3). */
export const ZONE_A_SCORES: Readonly<Record<DemoNode, number>> = {
  'node-a1': 6,
  'node-a2': 6,
  'node-b1': 3,
  'node-b2': 3,
  'node-c1': 3,
  'node-c2': 3,
};

/** No source location known (or no claims): every node 0. */
export const NO_SCORES: Readonly<Record<DemoNode, number>> = {
  'node-a1': 0,
  'node-a2': 0,
  'node-b1': 0,
  'node-b2': 0,
  'node-c1': 0,
  'node-c2': 0,
};
