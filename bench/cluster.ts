/**
 * Deterministic synthetic clusters for the benchmark: realistic Node objects (~20 KB each, like
 * `kubectl get node -o json` without managedFields), StorageClasses, PVs/PVCs with zonal and
 * node-local sources, clones, restores, VolumeSnapshots and their contents, and the three
 * benchmark pods. Everything is a plain JSON value; the same seed gives the same bytes.
 */
import { Prng } from './prng.js';

/** A JSON object as the API server would serve it (plain data, no prototypes). */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export interface ZoneSpec {
  readonly region: string;
  readonly zone: string;
}

/** Six zones in two regions; nodes are spread over them round-robin. */
export const ZONES: readonly ZoneSpec[] = [
  { region: 'us-east-1', zone: 'us-east-1a' },
  { region: 'us-east-1', zone: 'us-east-1b' },
  { region: 'us-east-1', zone: 'us-east-1c' },
  { region: 'us-west-2', zone: 'us-west-2a' },
  { region: 'us-west-2', zone: 'us-west-2b' },
  { region: 'us-west-2', zone: 'us-west-2c' },
];

/** Where the benchmark pods' sources live (see `benchObjects`). */
export const CLONE_SOURCE_ZONE = 'us-east-1a';
export const BOUND_VOLUME_ZONE = 'us-east-1b';
export const BENCH_NAMESPACE = 'bench';

const INSTANCE_TYPES = ['m6i.2xlarge', 'm6i.4xlarge', 'r6i.2xlarge', 'c6i.4xlarge', 'm7g.2xlarge'];
const EBS = 'ebs.csi.aws.com';
const TOPOLVM = 'topolvm.io';
const TOPOLVM_NODE_KEY = 'topology.topolvm.io/node';
const ZONE_KEY = 'topology.kubernetes.io/zone';
const REGION_KEY = 'topology.kubernetes.io/region';
const TIME = '2026-11-01T08:00:00Z';

/** One generated node: its JSON object and the facts the expectations need. */
export interface GeneratedNode {
  readonly name: string;
  readonly zone: string;
  readonly region: string;
  readonly object: JsonObject;
}

/** The node's name for index `i` (EC2-style private DNS names, unique per index). */
export function nodeName(i: number): string {
  const z = ZONES[i % ZONES.length] as ZoneSpec;
  return `ip-10-${20 + (i % ZONES.length)}-${(i >> 8) & 255}-${i & 255}.${z.region}.compute.internal`;
}

/** A pool of container images shared by the cluster's nodes (nodes report the 50 they hold). */
function imagePool(rng: Prng, size: number): JsonObject[] {
  const repos = [
    'docker.io/library/nginx',
    'quay.io/prometheus/node-exporter',
    'registry.k8s.io/kube-proxy',
    'public.ecr.aws/eks-distro/kubernetes/pause',
    'docker.io/grafana/promtail',
    'ghcr.io/fluxcd/source-controller',
    'registry.k8s.io/sig-storage/csi-node-driver-registrar',
    'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver',
    'quay.io/cilium/cilium',
    'docker.io/bitnami/postgresql',
    'ghcr.io/topolvm/topolvm-with-sidecar',
    'registry.example.com/payments/api-server',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/ledger-reconciliation-worker',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/platform/observability/opentelemetry-collector-contrib',
    '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/aws-load-balancer-controller',
  ];
  const pool: JsonObject[] = [];
  for (let i = 0; i < size; i++) {
    const repo = `${rng.pick(repos)}${i >= repos.length ? `-${i}` : ''}`;
    const tag = `v${1 + rng.int(3)}.${rng.int(30)}.${rng.int(10)}`;
    pool.push({
      names: [`${repo}@sha256:${rng.hex(64)}`, `${repo}:${tag}`],
      sizeBytes: 5_000_000 + rng.int(900_000_000),
    });
  }
  return pool;
}

function condition(type: string, status: string, reason: string, message: string): JsonObject {
  return { type, status, lastHeartbeatTime: TIME, lastTransitionTime: TIME, reason, message };
}

const PROBLEM_CONDITIONS: readonly [string, string, string][] = [
  ['KernelDeadlock', 'KernelHasNoDeadlock', 'kernel has no deadlock'],
  ['ReadonlyFilesystem', 'FilesystemIsNotReadOnly', 'Filesystem is not read-only'],
  ['FrequentKubeletRestart', 'NoFrequentKubeletRestart', 'kubelet is functioning properly'],
  ['FrequentDockerRestart', 'NoFrequentDockerRestart', 'docker is functioning properly'],
  ['FrequentContainerdRestart', 'NoFrequentContainerdRestart', 'containerd is functioning properly'],
  ['FrequentUnregisterNetDevice', 'NoFrequentUnregisterNetDevice', 'node is functioning properly'],
  ['CorruptDockerOverlay2', 'NoCorruptDockerOverlay2', 'docker overlay2 is functioning properly'],
  ['ContainerRuntimeProblem', 'ContainerRuntimeIsUp', 'container runtime service is up'],
  ['KubeletProblem', 'KubeletIsUp', 'kubelet service is up'],
  ['NetworkUnavailable', 'RouteCreated', 'RouteController created a route'],
];

/** One Node object, fields in the order Go's encoding/json writes them. */
function makeNode(rng: Prng, i: number, images: readonly JsonObject[]): GeneratedNode {
  const name = nodeName(i);
  const z = ZONES[i % ZONES.length] as ZoneSpec;
  const instanceType = rng.pick(INSTANCE_TYPES);
  const arch = instanceType.startsWith('m7g') ? 'arm64' : 'amd64';
  const instanceId = `i-0${rng.hex(16)}`;
  const ip = `10.${20 + (i % ZONES.length)}.${(i >> 8) & 255}.${i & 255}`;
  const volumes = Array.from({ length: 12 }, () => `vol-0${rng.hex(16)}`);
  const publicIp = `${3 + rng.int(50)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}`;
  const object: JsonObject = {
    metadata: {
      name,
      uid: rng.uuid(),
      resourceVersion: String(1_000_000 + rng.int(9_000_000)),
      creationTimestamp: TIME,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/instance-type': instanceType,
        'beta.kubernetes.io/os': 'linux',
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        'eks.amazonaws.com/nodegroup': `workers-${z.zone}`,
        'eks.amazonaws.com/nodegroup-image': `ami-0${rng.hex(16)}`,
        'failure-domain.beta.kubernetes.io/region': z.region,
        'failure-domain.beta.kubernetes.io/zone': z.zone,
        'k8s.io/cloud-provider-aws': rng.hex(32),
        'karpenter.k8s.aws/instance-category': instanceType.slice(0, 1),
        'karpenter.k8s.aws/instance-cpu': '8',
        'karpenter.k8s.aws/instance-encryption-in-transit-supported': 'true',
        'karpenter.k8s.aws/instance-family': instanceType.split('.')[0] ?? '',
        'karpenter.k8s.aws/instance-generation': '6',
        'karpenter.k8s.aws/instance-hypervisor': 'nitro',
        'karpenter.k8s.aws/instance-memory': '32768',
        'karpenter.k8s.aws/instance-network-bandwidth': '3125',
        'karpenter.k8s.aws/instance-size': instanceType.split('.')[1] ?? '',
        'karpenter.sh/capacity-type': 'on-demand',
        'karpenter.sh/initialized': 'true',
        'karpenter.sh/nodepool': 'general-purpose',
        'karpenter.sh/registered': 'true',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': instanceType,
        'topology.ebs.csi.aws.com/zone': z.zone,
        [TOPOLVM_NODE_KEY]: name,
        'topology.k8s.aws/zone-id': `use1-az${1 + (i % ZONES.length)}`,
        [REGION_KEY]: z.region,
        [ZONE_KEY]: z.zone,
      },
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': ip,
        // Go's encoding/json escapes the quotes (and would escape <, >, &): realistic escapes for scanners.
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({ [EBS]: instanceId, [TOPOLVM]: name }),
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `100.64.${i & 255}.0/24`,
      podCIDRs: [`100.64.${i & 255}.0/24`],
      providerID: `aws:///${z.zone}/${instanceId}`,
      taints: [{ key: 'karpenter.sh/disrupted', effect: 'NoSchedule', timeAdded: TIME }],
    },
    status: {
      capacity: {
        cpu: '8',
        'ephemeral-storage': '104845292Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '32386520Ki',
        pods: '58',
      },
      allocatable: {
        cpu: '7910m',
        'ephemeral-storage': '95551679124',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '31369688Ki',
        pods: '58',
      },
      conditions: [
        ...PROBLEM_CONDITIONS.map(([type, reason, message]) => condition(type, 'False', reason, message)),
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'ExternalIP', address: publicIp },
        { type: 'InternalDNS', address: name },
        { type: 'ExternalDNS', address: `ec2-${publicIp.replaceAll('.', '-')}.compute-1.amazonaws.com` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: rng.hex(32),
        systemUUID: `ec2${rng.hex(5)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
        bootID: rng.uuid(),
        kernelVersion: '6.1.112-124.190.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.6.20241031',
        containerRuntimeVersion: 'containerd://1.7.23',
        kubeletVersion: 'v1.31.2-eks-94953ac',
        kubeProxyVersion: 'v1.31.2-eks-94953ac',
        operatingSystem: 'linux',
        architecture: arch,
      },
      images: rng.sample(images, 50),
      volumesInUse: volumes.map((v) => `kubernetes.io/csi/${EBS}^${v}`),
      volumesAttached: volumes.map((v) => ({ name: `kubernetes.io/csi/${EBS}^${v}`, devicePath: '' })),
      runtimeHandlers: ['', 'runc', 'nvidia'].map((handler) => ({
        name: handler,
        features: { recursiveReadOnlyMounts: true, userNamespaces: true },
      })),
      features: { supplementalGroupsPolicy: true },
    },
  };
  return { name, zone: z.zone, region: z.region, object };
}

/** `count` nodes spread round-robin over `ZONES`, deterministic for a seed. */
export function generateNodes(seed: number, count: number): GeneratedNode[] {
  const rng = new Prng(seed);
  const images = imagePool(rng, 200);
  const nodes: GeneratedNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(makeNode(rng, i, images));
  return nodes;
}

function zonalAffinity(zone: string): JsonObject {
  return {
    required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_KEY, operator: 'In', values: [zone] }] }] },
  };
}

function nodeLocalAffinity(node: string): JsonObject {
  return {
    required: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: TOPOLVM_NODE_KEY, operator: 'In', values: [node] }] }],
    },
  };
}

interface VolumeSource {
  readonly driver: string;
  readonly storageClass: string;
  readonly affinity: JsonObject;
  readonly labels?: JsonObject;
}

function makePV(rng: Prng, name: string, claim: JsonObject, handle: string, source: VolumeSource): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      uid: rng.uuid(),
      resourceVersion: String(rng.int(9_000_000)),
      creationTimestamp: TIME,
      ...(source.labels === undefined ? {} : { labels: source.labels }),
      annotations: {
        'pv.kubernetes.io/provisioned-by': source.driver,
        'volume.kubernetes.io/provisioner-deletion-secret-name': '',
        'volume.kubernetes.io/provisioner-deletion-secret-namespace': '',
      },
      finalizers: ['external-provisioner.volume.kubernetes.io/finalizer', 'kubernetes.io/pv-protection'],
    },
    spec: {
      capacity: { storage: `${1 + rng.int(500)}Gi` },
      csi: {
        driver: source.driver,
        volumeHandle: handle,
        fsType: 'ext4',
        volumeAttributes: {
          'storage.kubernetes.io/csiProvisionerIdentity': `1730448000000-${rng.int(10_000)}-${source.driver}`,
        },
      },
      accessModes: ['ReadWriteOnce'],
      claimRef: {
        kind: 'PersistentVolumeClaim',
        namespace: claim.namespace ?? '',
        name: claim.name ?? '',
        uid: claim.uid ?? '',
        apiVersion: 'v1',
        resourceVersion: String(rng.int(9_000_000)),
      },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: source.storageClass,
      volumeMode: 'Filesystem',
      nodeAffinity: source.affinity,
    },
    status: { phase: 'Bound', lastPhaseTransitionTime: TIME },
  };
}

interface ClaimSpec {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly storageClass: string;
  readonly driver: string;
  readonly volumeName?: string;
  readonly dataSource?: JsonObject;
}

function makePVC(rng: Prng, c: ClaimSpec): JsonObject {
  const bound = c.volumeName !== undefined;
  const annotations: JsonObject = {
    'volume.beta.kubernetes.io/storage-provisioner': c.driver,
    'volume.kubernetes.io/storage-provisioner': c.driver,
  };
  if (bound) {
    annotations['pv.kubernetes.io/bind-completed'] = 'yes';
    annotations['pv.kubernetes.io/bound-by-controller'] = 'yes';
  }
  const size = `${1 + rng.int(500)}Gi`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: c.name,
      namespace: c.namespace,
      uid: c.uid,
      resourceVersion: String(rng.int(9_000_000)),
      creationTimestamp: TIME,
      annotations,
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      ...(c.volumeName === undefined ? {} : { volumeName: c.volumeName }),
      storageClassName: c.storageClass,
      volumeMode: 'Filesystem',
      ...(c.dataSource === undefined ? {} : { dataSource: c.dataSource, dataSourceRef: c.dataSource }),
    },
    status: bound
      ? { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: size } }
      : { phase: 'Pending' },
  };
}

function makeSnapshot(rng: Prng, namespace: string, name: string, pvc: string, content: string): JsonObject {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: {
      name,
      namespace,
      uid: rng.uuid(),
      resourceVersion: String(rng.int(9_000_000)),
      creationTimestamp: TIME,
    },
    spec: { source: { persistentVolumeClaimName: pvc }, volumeSnapshotClassName: 'ebs-snapclass' },
    status: { boundVolumeSnapshotContentName: content, creationTime: TIME, readyToUse: true, restoreSize: '10Gi' },
  };
}

function makeContent(
  rng: Prng,
  name: string,
  driver: string,
  handle: string,
  snapshot: { namespace: string; name: string },
): JsonObject {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name, uid: rng.uuid(), resourceVersion: String(rng.int(9_000_000)), creationTimestamp: TIME },
    spec: {
      deletionPolicy: 'Delete',
      driver,
      source: { volumeHandle: handle },
      volumeSnapshotClassName: 'ebs-snapclass',
      volumeSnapshotRef: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        name: snapshot.name,
        namespace: snapshot.namespace,
      },
    },
    status: {
      creationTime: 1730448000000000000,
      readyToUse: true,
      restoreSize: 10737418240,
      snapshotHandle: `snap-0${rng.hex(16)}`,
    },
  };
}

/** The StorageClasses (and the VolumeSnapshotClass, which the engine ignores) every generated state has. */
export function storageClasses(): JsonObject[] {
  const sc = (name: string, provisioner: string, mode: string): JsonObject => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner,
    parameters: provisioner === EBS ? { type: 'gp3', encrypted: 'true' } : { 'topolvm.io/device-class': 'ssd' },
    reclaimPolicy: 'Delete',
    allowVolumeExpansion: true,
    volumeBindingMode: mode,
  });
  return [
    sc('ebs-gp3-wffc', EBS, 'WaitForFirstConsumer'),
    sc('ebs-gp3-immediate', EBS, 'Immediate'),
    sc('topolvm-wffc', TOPOLVM, 'WaitForFirstConsumer'),
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'ebs-snapclass' },
      driver: EBS,
      deletionPolicy: 'Delete',
    },
  ];
}

/**
 * `volumes` bound PV/PVC pairs (70% zonal EBS, 30% node-local TopoLVM) over 50 namespaces, plus one
 * VolumeSnapshot and content for every 10th pair and, for every 10th pair, an unbound
 * WaitForFirstConsumer clone or restore claim of it: the filler a real cluster has around the
 * benchmark pods' own objects. `nodes` supplies node-local volumes' nodes.
 */
export function generateStorage(seed: number, volumes: number, nodes: readonly string[]): JsonObject[] {
  const rng = new Prng(seed ^ 0x5a5a5a5a);
  const out: JsonObject[] = [];
  for (let i = 0; i < volumes; i++) {
    const namespace = `team-${i % 50}`;
    const claimName = `data-${i}`;
    const uid = rng.uuid();
    const pvName = `pvc-${uid}`;
    const local = i % 10 >= 7;
    const source: VolumeSource = local
      ? { driver: TOPOLVM, storageClass: 'topolvm-wffc', affinity: nodeLocalAffinity(rng.pick(nodes)) }
      : { driver: EBS, storageClass: 'ebs-gp3-wffc', affinity: zonalAffinity(rng.pick(ZONES).zone) };
    const handle = local ? rng.uuid() : `vol-0${rng.hex(16)}`;
    out.push(makePV(rng, pvName, { namespace, name: claimName, uid }, handle, source));
    out.push(
      makePVC(rng, {
        namespace,
        name: claimName,
        uid,
        storageClass: source.storageClass,
        driver: source.driver,
        volumeName: pvName,
      }),
    );
    if (i % 10 === 4) {
      const snap = `snap-${i}`;
      const content = `snapcontent-${rng.uuid()}`;
      out.push(makeSnapshot(rng, namespace, snap, claimName, content));
      out.push(makeContent(rng, content, source.driver, handle, { namespace, name: snap }));
      out.push(
        makePVC(rng, {
          namespace,
          name: `restore-${i}`,
          uid: rng.uuid(),
          storageClass: source.storageClass,
          driver: source.driver,
          dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snap },
        }),
      );
    } else if (i % 10 === 8) {
      out.push(
        makePVC(rng, {
          namespace,
          name: `clone-${i}`,
          uid: rng.uuid(),
          storageClass: source.storageClass,
          driver: source.driver,
          dataSource: { apiGroup: null, kind: 'PersistentVolumeClaim', name: claimName },
        }),
      );
    }
  }
  return out;
}

/** The objects the benchmark pods' claims refer to (namespace `bench`), identical in every state. */
export function benchObjects(seed: number): JsonObject[] {
  const rng = new Prng(seed ^ 0x0be7c4);
  const zonal = (zone: string): VolumeSource => ({
    driver: EBS,
    storageClass: 'ebs-gp3-wffc',
    affinity: zonalAffinity(zone),
    // Labels as the PV label admission used to write them (the engine honours them like VolumeZone).
    labels: { [REGION_KEY]: ZONES.find((z) => z.zone === zone)?.region ?? '', [ZONE_KEY]: zone },
  });
  const ns = BENCH_NAMESPACE;
  const srcUid = rng.uuid();
  const srcHandle = `vol-0${rng.hex(16)}`;
  const boundUid = rng.uuid();
  const content = `snapcontent-${rng.uuid()}`;
  const wffc = { namespace: ns, storageClass: 'ebs-gp3-wffc', driver: EBS };
  return [
    makePV(rng, 'pv-bench-src', { namespace: ns, name: 'src', uid: srcUid }, srcHandle, zonal(CLONE_SOURCE_ZONE)),
    makePVC(rng, { ...wffc, name: 'src', uid: srcUid, volumeName: 'pv-bench-src' }),
    makePVC(rng, {
      ...wffc,
      name: 'clone-c',
      uid: rng.uuid(),
      dataSource: { apiGroup: null, kind: 'PersistentVolumeClaim', name: 'src' },
    }),
    makeSnapshot(rng, ns, 'snap-c', 'src', content),
    makeContent(rng, content, EBS, srcHandle, { namespace: ns, name: 'snap-c' }),
    makePVC(rng, {
      ...wffc,
      name: 'restore-c',
      uid: rng.uuid(),
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap-c' },
    }),
    makePV(
      rng,
      'pv-bench-bound',
      { namespace: ns, name: 'data-b', uid: boundUid },
      `vol-0${rng.hex(16)}`,
      zonal(BOUND_VOLUME_ZONE),
    ),
    makePVC(rng, { ...wffc, name: 'data-b', uid: boundUid, volumeName: 'pv-bench-bound' }),
  ];
}

/** The benchmark pod kinds of issue 5: (a) no claims, (b) one bound claim, (c) a clone and a restore claim. */
export type PodKind = 'a' | 'b' | 'c';
export const POD_KINDS: readonly PodKind[] = ['a', 'b', 'c'];

/**
 * Whether a node in `zone` should pass the filter for a pod kind: (a) everywhere; (b) only in the
 * bound PV's zone; (c) only in the clone source's zone (the restore, an EBS snapshot, is
 * region-scoped and its source is in the same zone, so the clone decides).
 */
export function expectedToFit(kind: PodKind, zone: string): boolean {
  if (kind === 'a') return true;
  return zone === (kind === 'b' ? BOUND_VOLUME_ZONE : CLONE_SOURCE_ZONE);
}

/** A pod as kube-scheduler sends it (with managedFields, tolerations, a projected token volume). */
export function benchPod(seed: number, kind: PodKind): JsonObject {
  const rng = new Prng(seed ^ (0x90d + kind.charCodeAt(0)));
  const name = `pod-${kind}`;
  const claims = kind === 'a' ? [] : kind === 'b' ? ['data-b'] : ['clone-c', 'restore-c'];
  const volumes: JsonValue[] = claims.map((claim) => ({ name: claim, persistentVolumeClaim: { claimName: claim } }));
  volumes.push({ name: 'scratch', emptyDir: {} });
  volumes.push({
    name: `kube-api-access-${rng.hex(5)}`,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    },
  });
  const mounts = volumes.map((v) => {
    const volumeName = (v as JsonObject).name as string;
    return { name: volumeName, mountPath: `/mnt/${volumeName}` };
  });
  return {
    metadata: {
      name,
      namespace: BENCH_NAMESPACE,
      uid: rng.uuid(),
      resourceVersion: String(rng.int(9_000_000)),
      creationTimestamp: TIME,
      labels: { app: 'bench', 'pod-template-hash': rng.hex(10) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `bench-${rng.hex(10)}`,
          uid: rng.uuid(),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      volumes,
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/payments/api-server:v1.2.3',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
          resources: { limits: { memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
          volumeMounts: mounts,
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
}
