/**
 * Gathers everything a decision needs about one pod's claims from a `ClusterStore`, once per
 * request, and compiles it into checks that node evaluation runs per node. Synchronous and free of
 * I/O; lookups that missed are reported so the caller can read them through and gather again.
 */

import { labelsOf, nonEmptyString } from '../cluster/access.js';
import { type ClusterStore, type ObjectKind, type ObjectRef, refKey } from '../cluster/store.js';
import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  Pod,
  StorageClass,
  TypedObjectReference,
  VolumeSnapshot,
} from '../cluster/types.js';
import { type DriverEntry, driverScopes } from '../config/config.js';
import { type Check, evaluateNode, type PodFacts } from '../topology/evaluate.js';
import { type Reason, ReasonCode, reason } from '../topology/reasons.js';
import { compileTopologyTerms, compileVolumeNodeAffinity, type LabelSelector } from '../topology/selectors.js';
import {
  type NodeView,
  requiredText,
  type Scope,
  type SourceLocation,
  type SourceTopology,
  scopeConstrains,
  sourceAdmits,
  sourceKeys,
  sourceLocation,
} from '../topology/source.js';
import { volumeZoneLabels, ZONE_LABEL_KEYS, zoneLabelsMatch, zoneLabelsText } from '../topology/zones.js';

export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
export const LABEL_MANAGED_BY = 'snapshot.storage.kubernetes.io/managed-by';
export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';

export interface GatherInput {
  readonly pod: Pod;
  readonly store: ClusterStore;
  readonly drivers: Readonly<Record<string, DriverEntry>>;
  /** A node by name (the request's nodes first, then the store); used for `selected-node` claims. */
  readonly lookupNode?: (name: string) => NodeView | undefined;
  /** References a read-through could not read (`refKey` → why): claims needing them are undecidable. */
  readonly unreadable?: ReadonlyMap<string, string>;
}

export interface Gathered {
  readonly facts: PodFacts;
  /** Objects the store did not have; a live store may read them through, then gather again. */
  readonly misses: readonly ObjectRef[];
}

const str = nonEmptyString;

// Compiled selectors are memoized by object identity: store objects are immutable and an update
// replaces the object, so a memoized entry can never be stale.
const pvTopologyMemo = new WeakMap<object, SourceTopology>();
const topologyTermsMemo = new WeakMap<object, LabelSelector>();

/** A PV's topology: its required nodeAffinity and legacy zone labels. */
export function volumeTopology(pv: PersistentVolume): SourceTopology {
  let t = pvTopologyMemo.get(pv);
  if (!t) {
    const name = str(pv.metadata?.name) ?? '';
    const selector = compileVolumeNodeAffinity(pv.spec?.nodeAffinity?.required);
    t = {
      from: `pv "${name}"`,
      zoneLabels: volumeZoneLabels(pv.metadata?.labels),
      ...(selector ? { selector } : {}),
    };
    pvTopologyMemo.set(pv, t);
  }
  return t;
}

function topologyTerms(owner: object, terms: unknown): LabelSelector {
  let s = topologyTermsMemo.get(owner);
  if (!s) {
    s = compileTopologyTerms(terms as Parameters<typeof compileTopologyTerms>[0]);
    topologyTermsMemo.set(owner, s);
  }
  return s;
}

/** The claim's storage class name: the beta annotation wins over `spec.storageClassName`. */
export function claimClassName(pvc: PersistentVolumeClaim): string {
  const ann = pvc.metadata?.annotations;
  if (ann && typeof ann === 'object' && Object.hasOwn(ann, ANN_BETA_STORAGE_CLASS)) {
    return typeof ann[ANN_BETA_STORAGE_CLASS] === 'string' ? ann[ANN_BETA_STORAGE_CLASS] : '';
  }
  return str(pvc.spec?.storageClassName) ?? '';
}

type Source =
  | { readonly kind: 'clone'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'restore'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'other' };

/** The claim's data source: `dataSourceRef` if set, else `dataSource`; undefined when neither. */
export function claimSource(spec: PersistentVolumeClaimSpec | undefined, claimNamespace: string): Source | undefined {
  const ref: TypedObjectReference | undefined = spec?.dataSourceRef ?? spec?.dataSource;
  if (!ref || typeof ref !== 'object') return undefined;
  const group = ref.apiGroup ?? '';
  const name = str(ref.name) ?? '';
  const namespace = str(spec?.dataSourceRef?.namespace) ?? claimNamespace;
  if (ref.kind === 'PersistentVolumeClaim' && group === '') return { kind: 'clone', namespace, name };
  if (ref.kind === 'VolumeSnapshot' && group === SNAPSHOT_GROUP) return { kind: 'restore', namespace, name };
  return { kind: 'other' };
}

/**
 * True when a ReferenceGrant in the source namespace lets PVCs of `fromNamespace` use the source
 * (`to` group/kind match and `to.name` unset or equal), as the Gateway API defines it.
 */
export function sourceGranted(
  store: ClusterStore,
  fromNamespace: string,
  toNamespace: string,
  toGroup: string,
  toKind: string,
  toName: string,
): boolean {
  for (const g of store.listReferenceGrants(toNamespace)) {
    const from = Array.isArray(g.spec?.from) ? g.spec.from : [];
    const to = Array.isArray(g.spec?.to) ? g.spec.to : [];
    const fromOk = from.some(
      (f) => (f?.group ?? '') === '' && f?.kind === 'PersistentVolumeClaim' && f?.namespace === fromNamespace,
    );
    const toOk = to.some(
      (t) => (t?.group ?? '') === toGroup && t?.kind === toKind && (str(t?.name) === undefined || t?.name === toName),
    );
    if (fromOk && toOk) return true;
  }
  return false;
}

/**
 * A check whose message is written when a rejection or `explain` reads it: prioritize never does.
 * A class rather than an object literal with a getter: V8 makes such a literal a dictionary-mode
 * object, and with those on the request path every call's objects outlived the next
 * young-generation collection (~500 KB promoted to the old generation per scavenge).
 */
class LazyCheck implements Check {
  #reason: Reason | undefined;

  constructor(
    private readonly code: ReasonCode,
    private readonly message: () => string,
    readonly test: (node: NodeView) => boolean,
    readonly keys: readonly string[] | undefined,
  ) {}

  get reason(): Reason {
    this.#reason ??= reason(this.code, this.message());
    return this.#reason;
  }
}

/** Gathers the pod's facts. Pure given the store; never throws on malformed objects. */
export function gatherPodFacts(input: GatherInput): Gathered {
  const { pod, store } = input;
  const podNs = str(pod.metadata?.namespace) ?? 'default';
  const podName = str(pod.metadata?.name) ?? '';
  const checks: Check[] = [];
  const locations: SourceLocation[] = [];
  const notes: string[] = [];
  const undecidable: string[] = [];
  const misses: ObjectRef[] = [];

  /** Records a lookup that found nothing; returns false when the object is unreadable (undecidable). */
  const missed = (kind: ObjectKind, namespace: string, name: string, who: string): boolean => {
    const ref = { kind, namespace, name };
    const why = input.unreadable?.get(refKey(ref));
    if (why !== undefined) {
      undecidable.push(`${who}: cannot read ${kind} ${namespace ? `${namespace}/` : ''}${name}: ${why}`);
      return false;
    }
    misses.push(ref);
    return true;
  };

  const seen = new Set<string>();
  const volumes = Array.isArray(pod.spec?.volumes) ? pod.spec.volumes : [];
  for (const vol of volumes) {
    if (vol?.persistentVolumeClaim) {
      const name = str(vol.persistentVolumeClaim.claimName) ?? '';
      if (seen.has(name)) continue;
      seen.add(name);
      const who = `pvc "${podNs}/${name}"`;
      const pvc = name ? store.getPersistentVolumeClaim(podNs, name) : undefined;
      if (!pvc) {
        if (name === '' || missed('PersistentVolumeClaim', podNs, name, who)) {
          checks.push({ reason: reason(ReasonCode.ClaimNotFound, `${who} not found`) });
        }
        continue;
      }
      claim(pvc, podNs, name);
    } else if (vol?.ephemeral) {
      const volName = str(vol.name) ?? '';
      const name = `${podName}-${volName}`;
      if (seen.has(name)) continue;
      seen.add(name);
      const pvc = store.getPersistentVolumeClaim(podNs, name);
      if (pvc) {
        if (!ownedByPod(pvc)) {
          checks.push({
            reason: reason(
              ReasonCode.EphemeralClaimNotOwned,
              `pvc "${podNs}/${name}" of ephemeral volume "${volName}" exists but is not owned by pod "${podNs}/${podName}"`,
            ),
          });
          continue;
        }
        claim(pvc, podNs, name);
      } else {
        // Not created yet: the ephemeral volume controller will create it from the template.
        const spec = vol.ephemeral.volumeClaimTemplate?.spec ?? {};
        claim({ metadata: { name, namespace: podNs }, spec }, podNs, name);
      }
    }
  }
  return { facts: { pod: `${podNs}/${podName}`, checks, locations, notes, undecidable }, misses };

  function ownedByPod(pvc: PersistentVolumeClaim): boolean {
    const refs = Array.isArray(pvc.metadata?.ownerReferences) ? pvc.metadata.ownerReferences : [];
    const controller = refs.find((r) => r?.controller === true);
    if (!controller) return false;
    const podUid = str(pod.metadata?.uid);
    // Mirrors the ephemeral-volume ownership check (controller reference with the pod's UID); a pod
    // read from a file may have no UID, then the controller must be that pod by kind and name.
    return podUid !== undefined ? controller.uid === podUid : controller.kind === 'Pod' && controller.name === podName;
  }

  function claim(pvc: PersistentVolumeClaim, ns: string, name: string): void {
    const who = `pvc "${ns}/${name}"`;
    const volumeName = str(pvc.spec?.volumeName);
    if (volumeName !== undefined) {
      boundClaim(who, volumeName);
      return;
    }
    const className = claimClassName(pvc);
    // No class: nothing provisions it dynamically; treated like Immediate binding.
    if (className === '') return;
    const sc = store.getStorageClass(className);
    if (!sc) {
      if (missed('StorageClass', '', className, who)) {
        checks.push({
          reason: reason(
            ReasonCode.StorageClassNotFound,
            `${who} uses storage class "${className}", which does not exist`,
          ),
        });
      }
      return;
    }
    // Immediate binding: the PV controller binds it before scheduling; not this extender's business.
    if (sc.volumeBindingMode !== 'WaitForFirstConsumer') return;
    delayedClaim(pvc, ns, name, sc);
  }

  function boundClaim(who: string, volumeName: string): void {
    const pv = store.getPersistentVolume(volumeName);
    if (!pv) {
      if (missed('PersistentVolume', '', volumeName, who)) {
        checks.push({
          reason: reason(ReasonCode.BoundVolumeNotFound, `${who} is bound to pv "${volumeName}", which does not exist`),
        });
      }
      return;
    }
    const topo = volumeTopology(pv);
    if (topo.selector) {
      const sel = topo.selector;
      checks.push({
        reason: reason(
          ReasonCode.VolumeNodeAffinity,
          `${who} needs the node affinity of its ${topo.from} (${sel.text})`,
        ),
        test: (n) => sel.matches(n.labels),
        keys: sel.keys,
      });
    }
    if (topo.zoneLabels.length > 0) {
      const zl = topo.zoneLabels;
      checks.push({
        reason: reason(
          ReasonCode.VolumeZoneLabels,
          `${who} needs the zone of its ${topo.from} (${zoneLabelsText(zl)})`,
        ),
        test: (n) => zoneLabelsMatch(zl, n.labels),
        keys: ZONE_LABEL_KEYS,
      });
    }
  }

  function delayedClaim(pvc: PersistentVolumeClaim, ns: string, name: string, sc: StorageClass): void {
    const who = `pvc "${ns}/${name}"`;
    const className = str(sc.metadata?.name) ?? '';
    const claimChecks: Check[] = [];
    const allowed = topologyTerms(sc, sc.allowedTopologies);
    if (Array.isArray(sc.allowedTopologies) && sc.allowedTopologies.length > 0) {
      claimChecks.push({
        reason: reason(
          ReasonCode.AllowedTopologies,
          `${who}: storage class "${className}" allows only ${allowed.text}`,
        ),
        test: (n) => allowed.matches(n.labels),
        keys: allowed.keys,
      });
    }
    const source = claimSource(pvc.spec, ns);
    if (source?.kind === 'clone' || source?.kind === 'restore') {
      const provisioner = str(sc.provisioner) ?? '';
      const scopes = driverScopes(input.drivers, provisioner);
      const scope = source.kind === 'clone' ? scopes.clone : scopes.restore;
      sourceChecks(source, scope, provisioner, `${source.kind} ${who}`, ns, claimChecks);
    }
    const selected = str(pvc.metadata?.annotations?.[ANN_SELECTED_NODE]);
    if (selected === undefined) {
      checks.push(...claimChecks);
      return;
    }
    // Already assigned: only that node can fit, and only if the volume can be provisioned there.
    const node = input.lookupNode?.(selected);
    const failing = node ? firstFailure(claimChecks, node) : undefined;
    if (failing) {
      checks.push({
        reason: reason(
          ReasonCode.SelectedNodeCannotProvision,
          `${who} was assigned node "${selected}" (${ANN_SELECTED_NODE}), where it cannot be provisioned: ${failing.message}`,
        ),
      });
      return;
    }
    checks.push(...claimChecks, {
      reason: reason(
        ReasonCode.SelectedNode,
        `${who} is being provisioned for node "${selected}" (${ANN_SELECTED_NODE})`,
      ),
      test: (n) => n.name === selected,
    });
  }

  function sourceChecks(
    source: Extract<Source, { namespace: string }>,
    scope: Scope,
    provisioner: string,
    who: string,
    claimNs: string,
    out: Check[],
  ): void {
    const isClone = source.kind === 'clone';
    const srcText = isClone
      ? `pvc "${source.namespace}/${source.name}"`
      : `volumesnapshot "${source.namespace}/${source.name}"`;
    if (source.namespace !== claimNs) {
      const group = isClone ? '' : SNAPSHOT_GROUP;
      const kind = isClone ? 'PersistentVolumeClaim' : 'VolumeSnapshot';
      if (!sourceGranted(store, claimNs, source.namespace, group, kind, source.name)) {
        if (missed('ReferenceGrant', source.namespace, '', who)) {
          checks.push({
            reason: reason(
              ReasonCode.SourceNotGranted,
              `${who}: no ReferenceGrant in namespace "${source.namespace}" lets namespace "${claimNs}" use ${srcText}`,
            ),
          });
        }
        return;
      }
    }
    const topo = isClone ? cloneTopology(source, who, srcText) : restoreTopology(source, who, srcText);
    if (topo === undefined) return;
    const loc = sourceLocation(topo);
    if (loc) locations.push(loc);
    if (!scopeConstrains(topo, scope)) {
      if (scope === 'any')
        notes.push(
          `${who}: driver "${provisioner}" can ${source.kind} anywhere (scope any): not constrained by ${srcText}`,
        );
      return;
    }
    const code = isClone ? ReasonCode.CloneSourceTopology : ReasonCode.RestoreSourceTopology;
    const srcDesc = isClone ? `source ${topo.from}` : `${srcText} (${topo.from})`;
    const keys = sourceKeys(topo, scope);
    out.push(
      new LazyCheck(
        code,
        () => `${who} needs a node in the topology of ${srcDesc}: ${requiredText(topo, scope)}`,
        (n) => sourceAdmits(topo, scope, n),
        keys,
      ),
    );
  }

  /** The clone source's PV topology, or undefined after recording why the claim cannot be provisioned. */
  function cloneTopology(
    source: { namespace: string; name: string },
    who: string,
    srcText: string,
  ): SourceTopology | undefined {
    const src = store.getPersistentVolumeClaim(source.namespace, source.name);
    if (!src) {
      if (missed('PersistentVolumeClaim', source.namespace, source.name, who)) {
        checks.push({ reason: reason(ReasonCode.CloneSourceNotFound, `${who}: source ${srcText} not found`) });
      }
      return undefined;
    }
    const pvName = str(src.spec?.volumeName);
    if (pvName === undefined) {
      checks.push({
        reason: reason(ReasonCode.CloneSourceNotBound, `${who}: source ${srcText} is not bound to a volume yet`),
      });
      return undefined;
    }
    const pv = store.getPersistentVolume(pvName);
    if (!pv) {
      if (missed('PersistentVolume', '', pvName, who)) {
        checks.push({
          reason: reason(
            ReasonCode.CloneSourceVolumeNotFound,
            `${who}: source ${srcText} is bound to pv "${pvName}", which does not exist`,
          ),
        });
      }
      return undefined;
    }
    return volumeTopology(pv);
  }

  /**
   * The restore source's topology, in order: (a) the content's nodeAffinity; (b) the source volume
   * (by CSI handle, else the snapshot's source PVC); (c) the node named by the content's managed-by
   * label. Undefined when the claim cannot be provisioned (a check says why) or nothing is known (a
   * note says so).
   */
  function restoreTopology(
    source: { namespace: string; name: string },
    who: string,
    srcText: string,
  ): SourceTopology | undefined {
    const snap: VolumeSnapshot | undefined = store.getVolumeSnapshot(source.namespace, source.name);
    if (!snap) {
      if (missed('VolumeSnapshot', source.namespace, source.name, who)) {
        checks.push({ reason: reason(ReasonCode.SnapshotNotFound, `${who}: ${srcText} not found`) });
      }
      return undefined;
    }
    const contentName = str(snap.status?.boundVolumeSnapshotContentName);
    if (contentName === undefined) {
      checks.push({ reason: reason(ReasonCode.SnapshotNotBound, `${who}: ${srcText} is not bound to a content yet`) });
      return undefined;
    }
    const content = store.getVolumeSnapshotContent(contentName);
    if (!content) {
      if (missed('VolumeSnapshotContent', '', contentName, who)) {
        checks.push({
          reason: reason(
            ReasonCode.SnapshotContentNotFound,
            `${who}: ${srcText} is bound to content "${contentName}", which does not exist`,
          ),
        });
      }
      return undefined;
    }
    const affinity = content.spec?.nodeAffinity;
    if (Array.isArray(affinity) && affinity.length > 0) {
      return {
        from: `content "${contentName}" nodeAffinity`,
        selector: topologyTerms(content, affinity),
        zoneLabels: [],
      };
    }
    const driver = str(content.spec?.driver);
    const handle = str(content.spec?.source?.volumeHandle);
    const byHandle = driver && handle ? store.findPersistentVolumeByHandle(driver, handle) : undefined;
    if (byHandle) return volumeTopology(byHandle);
    const srcPvcName = str(snap.spec?.source?.persistentVolumeClaimName);
    const srcPvc = srcPvcName ? store.getPersistentVolumeClaim(source.namespace, srcPvcName) : undefined;
    const srcPvName = str(srcPvc?.spec?.volumeName);
    const srcPv = srcPvName ? store.getPersistentVolume(srcPvName) : undefined;
    if (srcPv) return volumeTopology(srcPv);
    const managedBy = str(labelsOf(content)[LABEL_MANAGED_BY]);
    if (managedBy !== undefined) {
      const node = store.getNode(managedBy);
      return {
        from: `content "${contentName}" managed by node "${managedBy}"`,
        zoneLabels: [],
        nodeName: managedBy,
        ...(node ? { nodeLabels: labelsOf(node) } : {}),
      };
    }
    notes.push(
      `${who}: restore source ${srcText} location unknown (no content nodeAffinity, source volume or managed-by node): not constrained`,
    );
    return undefined;
  }
}

function firstFailure(checks: readonly Check[], node: NodeView): Reason | undefined {
  const v = evaluateNode({ pod: '', checks, locations: [], notes: [], undecidable: [] }, node);
  return v.fits ? undefined : v.reasons[0];
}
