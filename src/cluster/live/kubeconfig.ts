/**
 * Where live mode finds its API server credentials, in this order: an explicit file (`--kubeconfig`),
 * the files in `KUBECONFIG` (merged, the first one's current context wins, as kubectl does), the
 * in-cluster service account, `~/.kube/config`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Live mode cannot start or answer: no credentials, caches not synced, an object unreadable. The CLI prints the message. */
export class LiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveError';
  }
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where to look; defaults are the process's environment, home directory and the service-account mount. */
export interface KubeConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string;
  readonly serviceAccountTokenPath?: string;
}

/**
 * Loads a `KubeConfig` (reads files). Throws an error naming what was tried when nothing is found,
 * when a file cannot be parsed, or when the result has no current cluster.
 */
export function loadKubeConfig(path?: string, sources: KubeConfigSources = {}): KubeConfig {
  try {
    return load(path, sources);
  } catch (err) {
    if (err instanceof LiveError) throw err;
    throw new LiveError(`cannot load kubeconfig: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function load(path: string | undefined, sources: KubeConfigSources): KubeConfig {
  const env = sources.env ?? process.env;
  const kc = new KubeConfig();
  let origin: string;
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  const home = join(sources.homeDir ?? homedir(), '.kube', 'config');
  if (path !== undefined) {
    kc.loadFromFile(path);
    origin = path;
  } else if (fromEnv.length > 0) {
    const [first, ...rest] = fromEnv;
    kc.loadFromFile(first ?? '');
    for (const file of rest) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      kc.mergeConfig(more, true);
    }
    origin = `KUBECONFIG=${env.KUBECONFIG}`;
  } else if (
    env.KUBERNETES_SERVICE_HOST !== undefined &&
    env.KUBERNETES_SERVICE_PORT !== undefined &&
    existsSync(sources.serviceAccountTokenPath ?? SERVICE_ACCOUNT_TOKEN)
  ) {
    // The client's loader reads the same two variables from process.env, plus the CA and token files.
    kc.loadFromCluster();
    origin = 'in-cluster service account';
  } else if (existsSync(home)) {
    kc.loadFromFile(home);
    origin = home;
  } else {
    throw new LiveError(
      `no Kubernetes credentials: pass --kubeconfig FILE, set KUBECONFIG, run in a pod with a service account, or create ${home}`,
    );
  }
  if (kc.getCurrentCluster() === null)
    throw new LiveError(`kubeconfig from ${origin} has no current context with a cluster`);
  return kc;
}
