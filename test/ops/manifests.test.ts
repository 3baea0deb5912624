import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { parseListenAddress } from '../../src/server/address.js';
import {
  at,
  type Kustomization,
  list,
  loadKustomization,
  type Obj,
  one,
  readYaml,
  single,
  str,
  strings,
  yamlFilesIn,
} from './support/manifests.js';
import { REPO } from './support/process.js';

/** The routes the server answers (src/app.ts and the health listener). */
const ROUTES = { filter: 'POST /filter', prioritize: 'POST /prioritize' } as const;
const HEALTH_ROUTES = ['/healthz', '/readyz', '/metrics'];

/** Field names of kube-scheduler's Extender and ExtenderTLSConfig (kubescheduler.config.k8s.io/v1). */
const EXTENDER_FIELDS = [
  'urlPrefix',
  'filterVerb',
  'preemptVerb',
  'prioritizeVerb',
  'weight',
  'bindVerb',
  'enableHTTPS',
  'tlsConfig',
  'httpTimeout',
  'nodeCacheCapable',
  'managedResources',
  'ignorable',
];
const TLS_CONFIG_FIELDS = ['insecure', 'serverName', 'certFile', 'keyFile', 'caFile', 'certData', 'keyData', 'caData'];

describe('manifests', () => {
  const base = loadKustomization('manifests/base');
  const overlay = loadKustomization('manifests/overlays/example');
  const second = loadKustomization('manifests/scheduler/second-scheduler');
  const config = readYaml('manifests/base/config.yaml');
  const deployment = one(base.objects, 'Deployment', 'source-affinity');
  const pod = asPod(deployment);
  const container = single(list(pod, 'spec.containers'), 'container');
  const service = one(base.objects, 'Service', 'source-affinity');
  const namespace = str(one(base.objects, 'Namespace'), 'metadata.name');

  describe('kustomizations list exactly the files next to them and keep namespaces', () => {
    const cases: Array<{ name: string; k: Kustomization }> = [
      { name: 'base', k: base },
      { name: 'example overlay', k: overlay },
      { name: 'second scheduler', k: second },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const listed = new Set([
          ...strings(tc.k.spec, 'resources').map((r) => join(tc.k.dir, r)),
          ...tc.k.generatorFiles,
          join(tc.k.dir, 'kustomization.yaml'),
        ]);
        // A kustomization `namespace:` overrides every object's own: none may rely on another one.
        const forced = at(tc.k.spec, 'namespace');
        const overridden = tc.k.objects
          .filter((o) => forced !== undefined && at(o, 'metadata.namespace') !== undefined)
          .filter((o) => at(o, 'metadata.namespace') !== forced)
          .map((o) => `${String(o.kind)}/${String(at(o, 'metadata.name'))}`);
        expect({
          missing: tc.k.missing,
          unlisted: yamlFilesIn(tc.k.dir).filter((f) => !listed.has(f)),
          overridden,
        }).to.deep.equal({ missing: [], unlisted: [], overridden: [] });
      });
    }
  });

  it('RBAC: read-only access to exactly the objects decisions depend on', () => {
    const role = one(base.objects, 'ClusterRole', 'source-affinity');
    const granted: Record<string, string[]> = {};
    for (const rule of list(role, 'rules')) {
      expect(at(rule, 'resourceNames'), 'no name restriction expected').to.equal(undefined);
      for (const group of strings(rule, 'apiGroups')) {
        for (const resource of strings(rule, 'resources')) {
          granted[`${group || 'core'}/${resource}`] = [...strings(rule, 'verbs')].sort();
        }
      }
    }
    const read = ['get', 'list', 'watch'];
    expect(granted).to.deep.equal({
      'core/nodes': read,
      'core/persistentvolumes': read,
      'core/persistentvolumeclaims': read,
      'storage.k8s.io/storageclasses': read,
      'snapshot.storage.k8s.io/volumesnapshots': read,
      'snapshot.storage.k8s.io/volumesnapshotcontents': read,
      'gateway.networking.k8s.io/referencegrants': read,
    });
    const binding = one(base.objects, 'ClusterRoleBinding', 'source-affinity');
    expect({ role: at(binding, 'roleRef'), subjects: at(binding, 'subjects') }).to.deep.equal({
      role: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'source-affinity' },
      subjects: [{ kind: 'ServiceAccount', name: str(pod, 'spec.serviceAccountName'), namespace }],
    });
    expect(base.objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).to.deep.equal([]);
  });

  it('Deployment: two replicas on different nodes, never both disrupted', () => {
    const labels = at(pod, 'metadata.labels');
    const terms = list(pod, 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution');
    const pdb = one(base.objects, 'PodDisruptionBudget');
    expect({
      replicas: at(deployment, 'spec.replicas'),
      maxUnavailable: at(deployment, 'spec.strategy.rollingUpdate.maxUnavailable'),
      selectorMatchesPod: matches(at(deployment, 'spec.selector.matchLabels'), labels),
      antiAffinity: terms.map((t) => ({
        topologyKey: at(t, 'topologyKey'),
        selectsPeers: matches(at(t, 'labelSelector.matchLabels'), labels),
      })),
      pdb: {
        minAvailable: at(pdb, 'spec.minAvailable'),
        selectsPods: matches(at(pdb, 'spec.selector.matchLabels'), labels),
      },
      priorityClassName: at(pod, 'spec.priorityClassName'),
      controlPlaneToleration: list(pod, 'spec.tolerations').some(
        (t) => t.key === 'node-role.kubernetes.io/control-plane' && t.operator === 'Exists',
      ),
    }).to.deep.equal({
      replicas: 2,
      maxUnavailable: 0,
      selectorMatchesPod: true,
      antiAffinity: [{ topologyKey: 'kubernetes.io/hostname', selectsPeers: true }],
      pdb: { minAvailable: 1, selectsPods: true },
      priorityClassName: 'system-cluster-critical',
      controlPlaneToleration: true,
    });
  });

  it('Deployment: restricted security context and bounded resources', () => {
    expect({
      pod: at(pod, 'spec.securityContext'),
      container: at(container, 'securityContext'),
      requests: Object.keys(asObj(at(container, 'resources.requests'))).sort(),
      memoryLimit: typeof at(container, 'resources.limits.memory'),
      automountToken: at(pod, 'spec.automountServiceAccountToken'),
    }).to.deep.equal({
      pod: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      container: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      },
      requests: ['cpu', 'memory'],
      memoryLimit: 'string',
      // The live caches need the API token.
      automountToken: undefined,
    });
    expect(at(one(base.objects, 'Namespace'), 'metadata.labels')).to.include({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('Deployment: runs serve on the ConfigMap, with probes on real routes and the configured ports', () => {
    const ports = Object.fromEntries(list(container, 'ports').map((p) => [str(p, 'name'), at(p, 'containerPort')]));
    const mount = (volume: string) => list(container, 'volumeMounts').find((m) => m.name === volume);
    const volume = (name: string) => list(pod, 'spec.volumes').find((v) => v.name === name);
    const configArg = strings(container, 'args')[2] ?? '';
    expect({
      args: strings(container, 'args'),
      configMountedAt: `${str(mount('config'), 'mountPath')}/config.yaml`,
      configMapName: at(volume('config'), 'configMap.name'),
      tlsSecret: at(volume('tls'), 'secret.secretName'),
      tlsFilesUnderMount: ['certFile', 'keyFile', 'clientCAFile'].map((k) =>
        str(config, `tls.${k}`).startsWith(`${str(mount('tls'), 'mountPath')}/`),
      ),
      ports,
      listenPort: parseListenAddress(str(config, 'listen')).port,
      healthPort: parseListenAddress(str(config, 'healthListen')).port,
      readiness: probe(container, 'readinessProbe', ports),
      liveness: probe(container, 'livenessProbe', ports),
      preStopSleep: at(container, 'lifecycle.preStop.sleep.seconds'),
    }).to.deep.equal({
      args: ['serve', '--config', '/etc/source-affinity/config.yaml'],
      configMountedAt: configArg,
      configMapName: 'source-affinity-config',
      tlsSecret: 'source-affinity-tls',
      tlsFilesUnderMount: [true, true, true],
      ports: { https: 8443, health: 8080 },
      listenPort: 8443,
      healthPort: 8080,
      readiness: { path: '/readyz', port: 8080, scheme: 'HTTP' },
      liveness: { path: '/healthz', port: 8080, scheme: 'HTTP' },
      preStopSleep: 5,
    });
    expect(list(base.spec, 'configMapGenerator').map((g) => g.name)).to.deep.equal(['source-affinity-config']);
    expect(HEALTH_ROUTES).to.include.members(['/readyz', '/healthz']);
  });

  it('Service and NetworkPolicy: only the scheduler reaches the extender port, only Prometheus the health port', () => {
    const labels = at(pod, 'metadata.labels');
    const policy = one(base.objects, 'NetworkPolicy');
    const rules = list(policy, 'spec.ingress').map((r) => ({
      ports: list(r, 'ports').map((p) => at(p, 'port')),
      from: list(r, 'from'),
    }));
    const secondSchedulerLabels = at(asPod(one(second.objects, 'Deployment')), 'metadata.labels');
    expect({
      serviceSelectsPods: matches(at(service, 'spec.selector'), labels),
      servicePorts: list(service, 'spec.ports').map((p) => [p.name, p.port, p.targetPort]),
      policySelectsPods: matches(at(policy, 'spec.podSelector.matchLabels'), labels),
      policyTypes: at(policy, 'spec.policyTypes'),
      ports: rules.map((r) => r.ports),
      // All pods of kube-system, which is how some network plugins see the host-network kube-scheduler.
      kubeSystemAllowed: rules[0]?.from.some((f) => isKubeSystem(f) && JSON.stringify(at(f, 'podSelector')) === '{}'),
      secondSchedulerAllowed: rules[0]?.from.some((f) =>
        matches(at(f, 'podSelector.matchLabels'), secondSchedulerLabels),
      ),
    }).to.deep.equal({
      serviceSelectsPods: true,
      servicePorts: [
        ['https', 8443, 'https'],
        ['health', 8080, 'health'],
      ],
      policySelectsPods: true,
      policyTypes: ['Ingress'],
      ports: [[8443], [8080]],
      kubeSystemAllowed: true,
      secondSchedulerAllowed: true,
    });
  });

  describe('scheduler configurations call the extender the way the server answers', () => {
    const certificate = one(overlay.objects, 'Certificate', 'source-affinity-tls');
    const serviceHost = `${str(service, 'metadata.name')}.${namespace}.svc`;
    const httpsPort = list(service, 'spec.ports').find((p) => p.name === 'https')?.port;
    const cases = [
      { name: 'default kube-scheduler', file: 'manifests/scheduler/kube-scheduler-config.yaml' },
      { name: 'second scheduler', file: 'manifests/scheduler/second-scheduler/config.yaml' },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const sc = readYaml(tc.file);
        const [ext, ...more] = list(sc, 'extenders');
        expect(more).to.deep.equal([]);
        const url = new URL(str(ext, 'urlPrefix'));
        const verbPath = (verb: string) => new URL(verb, `${str(ext, 'urlPrefix').replace(/\/+$/, '')}/`).pathname;
        expect({
          apiVersion: sc.apiVersion,
          kind: sc.kind,
          percentageOfNodesToScore: sc.percentageOfNodesToScore,
          profileOverrides: list(sc, 'profiles').filter((p) => p.percentageOfNodesToScore !== undefined),
          unknownExtenderFields: Object.keys(asObj(ext)).filter((k) => !EXTENDER_FIELDS.includes(k)),
          unknownTlsFields: Object.keys(asObj(at(ext, 'tlsConfig'))).filter((k) => !TLS_CONFIG_FIELDS.includes(k)),
          url: { protocol: url.protocol, host: url.hostname, port: Number(url.port) },
          filter: `POST ${verbPath(str(ext, 'filterVerb'))}`,
          prioritize: `POST ${verbPath(str(ext, 'prioritizeVerb'))}`,
          nodeCacheCapable: at(ext, 'nodeCacheCapable'),
          ignorable: at(ext, 'ignorable'),
          enableHTTPS: at(ext, 'enableHTTPS'),
          weightIsPositiveInteger: Number.isInteger(at(ext, 'weight')) && Number(at(ext, 'weight')) > 0,
          httpTimeout: at(ext, 'httpTimeout'),
          serverName: at(ext, 'tlsConfig.serverName'),
          certificateCoversServerName: strings(certificate, 'spec.dnsNames').includes(str(ext, 'tlsConfig.serverName')),
          verifiesServer: typeof at(ext, 'tlsConfig.caFile') === 'string' && at(ext, 'tlsConfig.insecure') !== true,
          presentsClientCert: ['certFile', 'keyFile'].every((k) => typeof at(ext, `tlsConfig.${k}`) === 'string'),
        }).to.deep.equal({
          apiVersion: 'kubescheduler.config.k8s.io/v1',
          kind: 'KubeSchedulerConfiguration',
          percentageOfNodesToScore: 100,
          profileOverrides: [],
          unknownExtenderFields: [],
          unknownTlsFields: [],
          url: { protocol: 'https:', host: serviceHost, port: httpsPort },
          filter: ROUTES.filter,
          prioritize: ROUTES.prioritize,
          nodeCacheCapable: true,
          ignorable: false,
          enableHTTPS: true,
          weightIsPositiveInteger: true,
          httpTimeout: '5s',
          serverName: serviceHost,
          certificateCoversServerName: true,
          verifiesServer: true,
          presentsClientCert: true,
        });
      });
    }
  });

  it('second scheduler: its own name, kube-scheduler RBAC and a Lease it may hold', () => {
    const sc = readYaml('manifests/scheduler/second-scheduler/config.yaml');
    const sa = one(second.objects, 'ServiceAccount');
    const saRef = { kind: 'ServiceAccount', name: str(sa, 'metadata.name'), namespace: str(sa, 'metadata.namespace') };
    const bound = second.objects
      .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
      .filter((b) => list(b, 'subjects').some((s) => matches(saRef, s) && matches(s, saRef)))
      .map((b) => `${b.kind === 'RoleBinding' ? `${str(b, 'metadata.namespace')}/` : ''}${str(b, 'roleRef.name')}`)
      .sort();
    const leaseRole = one(second.objects, 'Role', 'source-affinity-scheduler-leader-election');
    const leaseNames = list(leaseRole, 'rules').flatMap((r) => strings(r, 'resourceNames'));
    const schedDeploy = one(second.objects, 'Deployment');
    const schedPod = asPod(schedDeploy);
    const schedContainer = single(list(schedPod, 'spec.containers'), 'container');
    const configFlag = strings(schedContainer, 'command').find((c) => c.startsWith('--config=')) ?? '';
    const mountOf = (v: string) => list(schedContainer, 'volumeMounts').find((m) => m.name === v)?.mountPath;
    const clientSecret = list(schedPod, 'spec.volumes').find((v) => v.name === 'client-tls');
    const clientCert = one(overlay.objects, 'Certificate', 'source-affinity-scheduler-client');
    const ext = list(sc, 'extenders')[0];
    expect({
      profiles: list(sc, 'profiles').map((p) => p.schedulerName),
      bound,
      leaderElection: at(sc, 'leaderElection'),
      leaseRoleNames: leaseNames,
      leaseRoleNamespace: at(leaseRole, 'metadata.namespace'),
      replicas: at(schedDeploy, 'spec.replicas'),
      configFlagIsMounted: configFlag === `--config=${mountOf('config')}/config.yaml`,
      clientSecret: at(clientSecret, 'secret.secretName'),
      clientCertSecret: at(clientCert, 'spec.secretName'),
      clientCertUsages: at(clientCert, 'spec.usages'),
      tlsFilesUnderMount: ['certFile', 'keyFile', 'caFile'].map((k) =>
        str(ext, `tlsConfig.${k}`).startsWith(`${mountOf('client-tls')}/`),
      ),
    }).to.deep.equal({
      profiles: ['source-affinity'],
      bound: [
        'kube-system/extension-apiserver-authentication-reader',
        'source-affinity/source-affinity-scheduler-leader-election',
        'system:kube-scheduler',
        'system:volume-scheduler',
      ],
      leaderElection: {
        leaderElect: true,
        resourceLock: 'leases',
        resourceNamespace: namespace,
        resourceName: 'source-affinity-scheduler',
      },
      leaseRoleNames: ['source-affinity-scheduler'],
      leaseRoleNamespace: namespace,
      replicas: 2,
      configFlagIsMounted: true,
      clientSecret: 'source-affinity-scheduler-client',
      clientCertSecret: 'source-affinity-scheduler-client',
      clientCertUsages: ['client auth', 'digital signature'],
      tlsFilesUnderMount: [true, true, true],
    });
  });

  it('example overlay: sets the image the base uses and patches the scheduler rule of the policy', () => {
    const images = list(overlay.spec, 'images').map((i) => i.name);
    const patch = list(overlay.spec, 'patches')[0];
    const ops = readYamlText(str(patch, 'patch'));
    expect({
      images,
      baseImage: str(container, 'image').split(':')[0],
      patchTarget: at(patch, 'target'),
      patchPaths: ops.map((o) => o.path),
      patchedRulePort: list(one(base.objects, 'NetworkPolicy'), 'spec.ingress.0.ports').map((p) => p.port),
      certificateSecrets: overlay.objects.filter((o) => o.kind === 'Certificate').map((c) => at(c, 'spec.secretName')),
    }).to.deep.equal({
      images: ['source-affinity'],
      baseImage: 'source-affinity',
      patchTarget: { kind: 'NetworkPolicy', name: 'source-affinity' },
      patchPaths: ['/spec/ingress/0/from/-'],
      patchedRulePort: [8443],
      certificateSecrets: ['source-affinity-ca', 'source-affinity-tls', 'source-affinity-scheduler-client'],
    });
  });

  it('Dockerfile: Node 24, distroless non-root runtime with production dependencies, runs serve', () => {
    const lines = readFileSync(join(REPO, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z]+ /.test(l));
    const from = lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(' ')[1]);
    const runtime = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')));
    expect({
      from,
      prodInstall: lines.some((l) => l.includes('npm ci --omit=dev')),
      buildsWasm: lines.includes('RUN npm run build:wasm'),
      user: runtime.find((l) => l.startsWith('USER ')),
      env: runtime.filter((l) => l.startsWith('ENV ')),
      entrypoint: runtime.find((l) => l.startsWith('ENTRYPOINT ')),
      cmd: runtime.find((l) => l.startsWith('CMD ')),
      runtimeRunsNothing: runtime.filter((l) => l.startsWith('RUN ')),
    }).to.deep.equal({
      from: ['node:24-bookworm-slim', 'node:24-bookworm-slim', 'gcr.io/distroless/nodejs24-debian12:nonroot'],
      prodInstall: true,
      // The scanner's WebAssembly (src/extender/wasm.ts) is built, not checked in.
      buildsWasm: true,
      user: 'USER 65532:65532',
      // glibc's trim threshold: no page faults for every Nodes-mode body (docs/LIVE.md, "Memory").
      env: ['ENV NODE_ENV=production', 'ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=134217728'],
      // --max-semi-space-size: the live caches' memory; --initial-old-space-size and
      // --external-memory-accounted-in-global-limit: no full-GC storms with a small heap or with
      // Nodes-mode bodies (docs/LIVE.md, "Memory").
      entrypoint:
        'ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=4", "--initial-old-space-size=128", "--external-memory-accounted-in-global-limit", "bin/source-affinity.js"]',
      cmd: `CMD ${JSON.stringify(strings(container, 'args')).replaceAll(',', ', ')}`,
      runtimeRunsNothing: [],
    });
  });
});

function asObj(v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a mapping');
  return Object.fromEntries(Object.entries(v));
}

function asPod(deployment: Obj): Obj {
  return asObj(at(deployment, 'spec.template'));
}

/** Whether every key/value of `selector` is in `labels` (a matchLabels selector), and it is non-empty. */
function matches(selector: unknown, labels: unknown): boolean {
  if (typeof selector !== 'object' || selector === null || typeof labels !== 'object' || labels === null) return false;
  const entries = Object.entries(selector);
  return (
    entries.length > 0 && entries.every(([k, v]) => Object.entries(labels).some(([lk, lv]) => lk === k && lv === v))
  );
}

function isKubeSystem(peer: Obj): boolean {
  const ml = at(peer, 'namespaceSelector.matchLabels');
  return typeof ml === 'object' && ml !== null && Object.entries(ml).some(([, v]) => v === 'kube-system');
}

/** An httpGet probe as {path, port number, scheme}, named ports resolved. */
function probe(container: Obj, which: string, ports: Record<string, unknown>) {
  const port = at(container, `${which}.httpGet.port`);
  return {
    path: at(container, `${which}.httpGet.path`),
    port: typeof port === 'string' ? ports[port] : port,
    scheme: at(container, `${which}.httpGet.scheme`) ?? 'HTTP',
  };
}

function readYamlText(text: string): Obj[] {
  const v: unknown = parse(text);
  if (!Array.isArray(v)) throw new Error('patch: not a list');
  return v.map((x) => asObj(x));
}
