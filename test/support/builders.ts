/**
 * Fluent fixture builders: one setter per concept, minimal defaults, a terminal `.obj()`.
 * Names are `namespace/name` for namespaced kinds (default namespace `default`).
 */
import type {
  Labels,
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  OwnerReference,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReferenceGrant,
  StorageClass,
  TopologySelectorTerm,
  TypedObjectReference,
  Volume,
  VolumeSnapshot,
  VolumeSnapshotContent,
} from '../../src/cluster/types.js';

function split(ref: string): { namespace: string; name: string } {
  const i = ref.indexOf('/');
  return i < 0 ? { namespace: 'default', name: ref } : { namespace: ref.slice(0, i), name: ref.slice(i + 1) };
}

export const ZONE = 'topology.kubernetes.io/zone';
export const REGION = 'topology.kubernetes.io/region';
export const HOSTNAME = 'kubernetes.io/hostname';

/** `In` requirement shorthand. */
export const inReq = (key: string, ...values: string[]): NodeSelectorRequirement => ({ key, operator: 'In', values });
export const req = (key: string, operator: string, ...values: string[]): NodeSelectorRequirement => ({
  key,
  operator,
  values,
});

class NodeBuilder {
  private readonly labels: Record<string, string>;
  constructor(private readonly name: string) {
    this.labels = { [HOSTNAME]: name };
  }
  zone(zone: string): this {
    this.labels[ZONE] = zone;
    return this;
  }
  region(region: string): this {
    this.labels[REGION] = region;
    return this;
  }
  label(key: string, value: string): this {
    this.labels[key] = value;
    return this;
  }
  noLabels(): this {
    for (const k of Object.keys(this.labels)) delete this.labels[k];
    return this;
  }
  obj(): Node {
    return { apiVersion: 'v1', kind: 'Node', metadata: { name: this.name, labels: { ...this.labels } } };
  }
}
export const makeNode = (name: string) => new NodeBuilder(name);

class PVBuilder {
  private readonly labels: Record<string, string> = {};
  private terms: NodeSelectorTerm[] | undefined;
  private csiSource: { driver: string; volumeHandle: string } | undefined;
  private claimRef: { namespace: string; name: string } | undefined;
  constructor(private readonly name: string) {}
  /** Adds a required nodeAffinity term (terms are ORed). */
  term(...matchExpressions: NodeSelectorRequirement[]): this {
    this.terms ??= [];
    this.terms.push({ matchExpressions });
    return this;
  }
  rawTerm(term: NodeSelectorTerm): this {
    this.terms ??= [];
    this.terms.push(term);
    return this;
  }
  /** A required nodeAffinity with no terms at all. */
  noTerms(): this {
    this.terms = [];
    return this;
  }
  zone(...zones: string[]): this {
    return this.term(inReq(ZONE, ...zones));
  }
  onNode(node: string): this {
    return this.term(inReq(HOSTNAME, node));
  }
  label(key: string, value: string): this {
    this.labels[key] = value;
    return this;
  }
  csi(driver: string, volumeHandle: string): this {
    this.csiSource = { driver, volumeHandle };
    return this;
  }
  boundTo(claim: string): this {
    this.claimRef = split(claim);
    return this;
  }
  obj(): PersistentVolume {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: this.name, labels: { ...this.labels } },
      spec: {
        ...(this.csiSource ? { csi: this.csiSource } : {}),
        ...(this.claimRef ? { claimRef: this.claimRef } : {}),
        ...(this.terms ? { nodeAffinity: { required: { nodeSelectorTerms: this.terms } } } : {}),
      },
    };
  }
}
export const makePV = (name: string) => new PVBuilder(name);

class PVCBuilder {
  private readonly meta: {
    name: string;
    namespace: string;
    annotations: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  private spec: Record<string, unknown> = {};
  constructor(ref: string) {
    this.meta = { ...split(ref), annotations: {} };
  }
  class(name: string): this {
    this.spec.storageClassName = name;
    return this;
  }
  betaClass(name: string): this {
    this.meta.annotations['volume.beta.kubernetes.io/storage-class'] = name;
    return this;
  }
  boundTo(pv: string): this {
    this.spec.volumeName = pv;
    return this;
  }
  /** `spec.dataSource` kind PersistentVolumeClaim (apiGroup absent). */
  cloneOf(name: string): this {
    this.spec.dataSource = { kind: 'PersistentVolumeClaim', name };
    return this;
  }
  /** `spec.dataSource` kind VolumeSnapshot. */
  restoreOf(name: string): this {
    this.spec.dataSource = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name };
    return this;
  }
  /** `spec.dataSourceRef` (may name another namespace). */
  dataSourceRef(ref: TypedObjectReference): this {
    this.spec.dataSourceRef = ref;
    return this;
  }
  dataSource(ref: TypedObjectReference): this {
    this.spec.dataSource = ref;
    return this;
  }
  selectedNode(node: string): this {
    this.meta.annotations['volume.kubernetes.io/selected-node'] = node;
    return this;
  }
  ownedBy(kind: string, name: string, uid: string): this {
    this.meta.ownerReferences = [{ apiVersion: 'v1', kind, name, uid, controller: true }];
    return this;
  }
  obj(): PersistentVolumeClaim {
    return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { ...this.meta }, spec: { ...this.spec } };
  }
}
export const makePVC = (ref: string) => new PVCBuilder(ref);

class ClassBuilder {
  private mode = 'WaitForFirstConsumer';
  private provisioner = 'example.csi.io';
  private topologies: TopologySelectorTerm[] | undefined;
  constructor(private readonly name: string) {}
  immediate(): this {
    this.mode = 'Immediate';
    return this;
  }
  driver(provisioner: string): this {
    this.provisioner = provisioner;
    return this;
  }
  /** Adds an allowedTopologies term; each pair is [key, ...values]. */
  allow(...exprs: [string, ...string[]][]): this {
    this.topologies ??= [];
    this.topologies.push({ matchLabelExpressions: exprs.map(([key, ...values]) => ({ key, values })) });
    return this;
  }
  obj(): StorageClass {
    return {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: this.name },
      provisioner: this.provisioner,
      volumeBindingMode: this.mode,
      ...(this.topologies ? { allowedTopologies: this.topologies } : {}),
    };
  }
}
export const makeClass = (name: string) => new ClassBuilder(name);

class SnapshotBuilder {
  private readonly ref: { namespace: string; name: string };
  private content: string | undefined;
  private sourcePVC: string | undefined;
  constructor(ref: string) {
    this.ref = split(ref);
  }
  boundTo(content: string): this {
    this.content = content;
    return this;
  }
  ofClaim(pvc: string): this {
    this.sourcePVC = pvc;
    return this;
  }
  obj(): VolumeSnapshot {
    return {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { ...this.ref },
      spec: { source: this.sourcePVC ? { persistentVolumeClaimName: this.sourcePVC } : {} },
      ...(this.content ? { status: { boundVolumeSnapshotContentName: this.content } } : {}),
    };
  }
}
export const makeSnapshot = (ref: string) => new SnapshotBuilder(ref);

class ContentBuilder {
  private driver = 'example.csi.io';
  private handle: string | undefined;
  private affinity: TopologySelectorTerm[] | undefined;
  private readonly labels: Record<string, string> = {};
  constructor(private readonly name: string) {}
  fromVolume(driver: string, volumeHandle: string): this {
    this.driver = driver;
    this.handle = volumeHandle;
    return this;
  }
  /** Adds a KEP-5943 nodeAffinity term; each pair is [key, ...values]. */
  affinityTerm(...exprs: [string, ...string[]][]): this {
    this.affinity ??= [];
    this.affinity.push({ matchLabelExpressions: exprs.map(([key, ...values]) => ({ key, values })) });
    return this;
  }
  emptyAffinity(): this {
    this.affinity = [];
    return this;
  }
  managedBy(node: string): this {
    this.labels['snapshot.storage.kubernetes.io/managed-by'] = node;
    return this;
  }
  obj(): VolumeSnapshotContent {
    return {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: this.name, labels: { ...this.labels } },
      spec: {
        driver: this.driver,
        source: this.handle ? { volumeHandle: this.handle } : { snapshotHandle: 'pre-provisioned' },
        ...(this.affinity ? { nodeAffinity: this.affinity } : {}),
      },
    };
  }
}
export const makeContent = (name: string) => new ContentBuilder(name);

class GrantBuilder {
  private readonly ref: { namespace: string; name: string };
  private readonly from: { group: string; kind: string; namespace: string }[] = [];
  private readonly to: { group: string; kind: string; name?: string }[] = [];
  constructor(ref: string) {
    this.ref = split(ref);
  }
  fromClaimsIn(namespace: string, kind = 'PersistentVolumeClaim', group = ''): this {
    this.from.push({ group, kind, namespace });
    return this;
  }
  toClaims(name?: string): this {
    this.to.push({ group: '', kind: 'PersistentVolumeClaim', ...(name ? { name } : {}) });
    return this;
  }
  toSnapshots(name?: string): this {
    this.to.push({ group: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', ...(name ? { name } : {}) });
    return this;
  }
  obj(): ReferenceGrant {
    return {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { ...this.ref },
      spec: { from: [...this.from], to: [...this.to] },
    };
  }
}
export const makeGrant = (ref: string) => new GrantBuilder(ref);

class PodBuilder {
  private readonly ref: { namespace: string; name: string };
  private readonly volumes: Volume[] = [];
  private uid: string | undefined;
  constructor(ref: string) {
    this.ref = split(ref);
  }
  /** A persistentVolumeClaim volume for a claim in the pod's namespace. */
  claim(claimName: string): this {
    this.volumes.push({ name: `vol-${this.volumes.length}`, persistentVolumeClaim: { claimName } });
    return this;
  }
  /** A generic ephemeral volume named `volume` with the given claim template spec. */
  ephemeral(volume: string, spec: PersistentVolumeClaim['spec'] = {}): this {
    this.volumes.push({ name: volume, ephemeral: { volumeClaimTemplate: { spec: spec ?? {} } } });
    return this;
  }
  emptyDir(): this {
    this.volumes.push({ name: `vol-${this.volumes.length}` });
    return this;
  }
  withUid(uid: string): this {
    this.uid = uid;
    return this;
  }
  obj(): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...this.ref, ...(this.uid ? { uid: this.uid } : {}) },
      spec: { volumes: [...this.volumes] },
    };
  }
}
export const makePod = (ref: string) => new PodBuilder(ref);

export type { Labels };
