/**
 * The resource types the test API server knows: the ones source-affinity reads, plus Pods so other
 * suites can seed them. Optional types belong to an API group that a CRD installs, and can be
 * removed from and added back to discovery at run time.
 */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Lower-case plural, as in the URL path. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Installed by a CRD (can be uninstalled), not built into the API server. */
  readonly crd: boolean;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, crd: false },
  { group: '', version: 'v1', plural: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, crd: false },
  {
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    crd: false,
  },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, crd: false },
  {
    group: 'storage.k8s.io',
    version: 'v1',
    plural: 'storageclasses',
    kind: 'StorageClass',
    namespaced: false,
    crd: false,
  },
  {
    group: 'snapshot.storage.k8s.io',
    version: 'v1',
    plural: 'volumesnapshots',
    kind: 'VolumeSnapshot',
    namespaced: true,
    crd: true,
  },
  {
    group: 'snapshot.storage.k8s.io',
    version: 'v1',
    plural: 'volumesnapshotcontents',
    kind: 'VolumeSnapshotContent',
    namespaced: false,
    crd: true,
  },
  {
    group: 'gateway.networking.k8s.io',
    version: 'v1beta1',
    plural: 'referencegrants',
    kind: 'ReferenceGrant',
    namespaced: true,
    crd: true,
  },
];

/** `group/version`, or just `version` for the core group (as in `apiVersion`). */
export function groupVersion(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** The collection path of a type, optionally inside one namespace. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return namespace !== undefined && type.namespaced
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`
    : `${base}/${type.plural}`;
}

export function resourceTypeByKind(kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.kind === kind);
}

export function resourceTypeByPlural(plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.plural === plural);
}

/** What a request asked for, parsed from its path and query. */
export type ParsedRequest =
  /** `/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>` */
  | { readonly verb: 'discovery'; readonly discoveryPath: string }
  | { readonly verb: 'list' | 'watch'; readonly type: ResourceType; readonly namespace?: string }
  | { readonly verb: 'get'; readonly type: ResourceType; readonly namespace?: string; readonly name: string };

/**
 * Parses a Kubernetes REST path. Returns undefined for paths the server does not serve (a 404).
 * Types whose group/version is not installed are reported by the caller, not here.
 */
export function parseRequestPath(pathname: string, query: URLSearchParams): ParsedRequest | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  let gvLength: number;
  if (parts[0] === 'api') {
    if (parts.length <= 2) return { verb: 'discovery', discoveryPath: pathname };
    gvLength = 2;
  } else if (parts[0] === 'apis') {
    if (parts.length <= 3) return { verb: 'discovery', discoveryPath: pathname };
    gvLength = 3;
  } else {
    return undefined;
  }
  const group = gvLength === 2 ? '' : (parts[1] ?? '');
  const version = parts[gvLength - 1] ?? '';
  let rest = parts.slice(gvLength).map(decodeURIComponent);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, ...extra] = rest;
  if (plural === undefined || extra.length > 0) return undefined;
  const type = RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
  if (type === undefined || (namespace !== undefined && !type.namespaced)) return undefined;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  if (name !== undefined) {
    return namespace === undefined && type.namespaced
      ? undefined
      : { verb: 'get', type, name, ...(namespace === undefined ? {} : { namespace }) };
  }
  return { verb: watch ? 'watch' : 'list', type, ...(namespace === undefined ? {} : { namespace }) };
}
