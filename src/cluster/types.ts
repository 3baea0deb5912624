/**
 * Read-only shapes of the Kubernetes objects the engine reads, named field for field after the
 * upstream API (core/v1, storage/v1, snapshot.storage.k8s.io/v1, gateway.networking.k8s.io/v1beta1).
 *
 * Only the fields a decision needs are declared. Objects come from files or the API server and are
 * not trusted to have these shapes: code that reads them goes through the guards in `./access.ts`,
 * which treat a field of the wrong type as absent.
 */

export type Labels = Readonly<Record<string, string>>;

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Labels;
  readonly annotations?: Labels;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface OwnerReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly controller?: boolean;
}

export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

export interface NodeSelectorRequirement {
  readonly key?: string;
  readonly operator?: string;
  readonly values?: readonly string[];
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

export interface NodeSelector {
  readonly nodeSelectorTerms?: readonly NodeSelectorTerm[];
}

export interface TopologySelectorLabelRequirement {
  readonly key?: string;
  readonly values?: readonly string[];
}

export interface TopologySelectorTerm {
  readonly matchLabelExpressions?: readonly TopologySelectorLabelRequirement[];
}

export interface Node extends KubeObject {}

export interface PersistentVolume extends KubeObject {
  readonly spec?: {
    readonly claimRef?: { readonly namespace?: string; readonly name?: string; readonly uid?: string };
    readonly storageClassName?: string;
    readonly csi?: { readonly driver?: string; readonly volumeHandle?: string };
    readonly nodeAffinity?: { readonly required?: NodeSelector };
  };
}

export interface TypedObjectReference {
  readonly apiGroup?: string | null;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

export interface PersistentVolumeClaimSpec {
  readonly storageClassName?: string;
  readonly volumeName?: string;
  readonly dataSource?: TypedObjectReference;
  readonly dataSourceRef?: TypedObjectReference;
}

export interface PersistentVolumeClaim extends KubeObject {
  readonly spec?: PersistentVolumeClaimSpec;
  readonly status?: { readonly phase?: string };
}

export interface StorageClass extends KubeObject {
  readonly provisioner?: string;
  readonly volumeBindingMode?: string;
  readonly allowedTopologies?: readonly TopologySelectorTerm[];
}

export interface VolumeSnapshot extends KubeObject {
  readonly spec?: {
    readonly source?: {
      readonly persistentVolumeClaimName?: string;
      readonly volumeSnapshotContentName?: string;
    };
  };
  readonly status?: { readonly boundVolumeSnapshotContentName?: string };
}

export interface VolumeSnapshotContent extends KubeObject {
  readonly spec?: {
    readonly driver?: string;
    readonly source?: { readonly volumeHandle?: string; readonly snapshotHandle?: string };
    readonly volumeSnapshotRef?: { readonly namespace?: string; readonly name?: string };
    /** KEP-5943: where the snapshot can be restored; TopologySelectorTerms, ORed. */
    readonly nodeAffinity?: readonly TopologySelectorTerm[];
  };
}

export interface ReferenceGrant extends KubeObject {
  readonly spec?: {
    readonly from?: readonly { readonly group?: string; readonly kind?: string; readonly namespace?: string }[];
    readonly to?: readonly { readonly group?: string; readonly kind?: string; readonly name?: string }[];
  };
}

export interface Volume {
  readonly name?: string;
  readonly persistentVolumeClaim?: { readonly claimName?: string };
  readonly ephemeral?: {
    readonly volumeClaimTemplate?: { readonly metadata?: ObjectMeta; readonly spec?: PersistentVolumeClaimSpec };
  };
}

export interface Pod extends KubeObject {
  readonly spec?: { readonly volumes?: readonly Volume[]; readonly nodeName?: string };
}
