/**
 * The command line: `serve`, `explain`, `check-config`. `main` returns the exit status; the bin
 * script sets it. Usage errors exit 2, unreadable input or failed evaluation exit 1.
 */
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { parseArgs } from 'node:util';
import { createApp } from './app.js';
import {
  createLiveStore,
  LiveError,
  type LiveStore,
  loadKubeConfig,
  type ResourceSyncState,
  readPod,
  waitForReady,
} from './cluster/live/index.js';
import { loadState, parseStateText, StateError } from './cluster/static.js';
import type { ClusterStore } from './cluster/store.js';
import type { Pod } from './cluster/types.js';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { explainPod, formatTable } from './explain.js';
import { createLogger } from './observability/logger.js';
import { type CacheStat, createMetrics, metricsListener } from './observability/metrics.js';
import { type Listeners, startListeners } from './server/listeners.js';
import { loadTlsMaterial, type TlsFiles } from './server/tls.js';

const USAGE = `Usage:
  source-affinity serve [--listen HOST:PORT] [--state PATH... | --kubeconfig FILE] [--config FILE]
  source-affinity explain [--state PATH... | --kubeconfig FILE] [--config FILE]
                          (--pod NAMESPACE/NAME | --pod-file FILE) [--nodes a,b,c] [-o table|json]
  source-affinity check-config FILE

serve         Serve the kube-scheduler extender (POST /filter, POST /prioritize, GET /healthz, GET /readyz,
              GET /metrics). --state: files or directories of Kubernetes objects (YAML or JSON), repeatable;
              no API server is used. Without --state: live mode, watching the cluster named by
              --kubeconfig FILE, else KUBECONFIG, else the in-cluster service account, else ~/.kube/config.
              Environment: SOURCE_AFFINITY_LISTEN, SOURCE_AFFINITY_LOG_LEVEL (flags win over the
              environment, which wins over the config file). SIGTERM: graceful stop.
explain       Evaluate one pod against the nodes of the state (or of the live cluster, without --state)
              and print per node: fits, reasons, score.
check-config  Validate a configuration file and report every error.
`;

class UsageError extends Error {}

interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Runs the CLI with `argv` (without node and script). Resolves to the exit status. */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io);
      case 'explain':
        return await explain(rest, io);
      case 'check-config':
        return await checkConfig(rest, io);
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`source-affinity: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof StateError || err instanceof LiveError) {
      io.err(`source-affinity: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * The config file merged with the overrides operators expect: flags win over the environment
 * (`SOURCE_AFFINITY_LISTEN`, `SOURCE_AFFINITY_LOG_LEVEL`), which wins over the file. Does I/O.
 */
function configFrom(
  file: string | undefined,
  flags: { listen?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const listen = flags.listen ?? (env.SOURCE_AFFINITY_LISTEN || undefined);
  const logLevel = env.SOURCE_AFFINITY_LOG_LEVEL || undefined;
  return loadConfig(file, {
    ...(listen !== undefined ? { listen } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
  });
}

/** The `tls` section as the listeners take it; undefined when TLS is off. */
function tlsFiles(config: Config): TlsFiles | undefined {
  const { certFile, keyFile, clientCAFile } = config.tls;
  if (certFile === '') return undefined;
  return clientCAFile === '' ? { certFile, keyFile } : { certFile, keyFile, clientCAFile };
}

/** The package version, for `source_affinity_build_info`. Does I/O. */
function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Bound on finishing in-flight calls after SIGTERM; the Deployment's grace period is longer. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function serve(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      listen: { type: 'string' },
      state: { type: 'string', multiple: true },
      kubeconfig: { type: 'string' },
      config: { type: 'string' },
    },
    strict: true,
  });
  const config = configFrom(values.config, { listen: values.listen });
  const statePaths = values.state ?? [];
  if (statePaths.length > 0 && values.kubeconfig !== undefined) {
    throw new UsageError('--state and --kubeconfig exclude each other (--state uses no API server)');
  }
  const logger = createLogger(config.logLevel);
  const tls = tlsFiles(config);
  let store: ClusterStore;
  let live: LiveStore | undefined;
  if (statePaths.length === 0) {
    const kubeConfig = loadKubeConfig(values.kubeconfig);
    live = createLiveStore({ kubeConfig, logger });
    await live.start();
    logger.info({ server: kubeConfig.getCurrentCluster()?.server }, 'live mode: watching the cluster');
    store = live;
  } else {
    const loaded = loadState(statePaths);
    store = loaded.store;
    const { report } = loaded;
    logger.info({ paths: statePaths, objects: report.loaded, ignored: report.ignored.length }, 'loaded cluster state');
    for (const ignored of report.ignored)
      logger.debug({ object: ignored }, 'ignored object of a kind the engine does not use');
  }
  const liveStore = live;
  const metrics = createMetrics({
    version: packageVersion(),
    ...(liveStore ? { cacheStats: () => cacheStats(liveStore.syncState()) } : {}),
  });
  const app = createApp({
    store,
    config,
    logger,
    observer: metrics.observer,
    ...(liveStore ? { readiness: () => liveStore.readiness() } : {}),
  });
  const serveMetrics = metricsListener(metrics);
  const health: RequestListener = (req, res) =>
    (req.url ?? '').split('?')[0] === '/metrics' ? serveMetrics(req, res) : app(req, res);
  let listeners: Listeners;
  try {
    listeners = await startListeners({
      listen: config.listen,
      ...(config.healthListen !== '' ? { healthListen: config.healthListen } : {}),
      ...(tls ? { tls } : {}),
      api: app,
      health,
      logger,
      onTlsReload: (result, cert) => {
        metrics.tlsReload(result);
        if (cert) metrics.tlsCertificateLoaded(cert.notAfter.getTime() / 1000);
      },
      onTlsClientError: (err) => {
        metrics.tlsHandshakeError();
        logger.debug({ err: err.message }, 'tls handshake failed');
      },
      limits: config.limits,
      onOverload: () => metrics.observer.error('overload'),
      onConnectionDropped: () => metrics.observer.error('connection_limit'),
    });
  } catch (err) {
    // Unusable TLS files, address in use: say so plainly and exit before serving anything.
    await live?.stop();
    io.err(`source-affinity: cannot serve: ${(err as Error).message}\n`);
    return 1;
  }
  if (listeners.certificate) metrics.tlsCertificateLoaded(listeners.certificate.notAfter.getTime() / 1000);
  logger.info(
    {
      url: listeners.url,
      ...(listeners.healthUrl !== listeners.url ? { healthUrl: listeners.healthUrl } : {}),
      ...(tls ? { mtls: tls.clientCAFile !== undefined } : {}),
    },
    'listening',
  );
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // Readiness fails at once; in-flight calls finish; idle keep-alive connections close.
  logger.info({ signal }, 'shutting down');
  const { forced } = await listeners.shutdown({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
  await live?.stop();
  logger.info({ forced }, 'stopped');
  return 0;
}

/**
 * The live store's sync state as the cache gauges take it: resources whose API is installed; a
 * resource with an open watch is current now, one without is as old as its last sync.
 */
function cacheStats(states: readonly ResourceSyncState[], now = Date.now()): CacheStat[] {
  return states
    .filter((s) => s.installed === true)
    .map((s) => {
      const last = s.watching ? now : s.lastSyncTime;
      return {
        resource: s.resource,
        objects: s.objects,
        synced: s.synced && s.watching,
        ...(last === undefined ? {} : { lastSyncSeconds: last / 1000 }),
      };
    });
}

/** How long `explain` in live mode waits for the caches before giving up. */
const EXPLAIN_SYNC_TIMEOUT_MS = 60_000;

function parsePodRef(ref: string): { namespace: string; name: string } {
  const m = /^([^/]+)\/([^/]+)$/.exec(ref);
  if (!m) throw new UsageError(`--pod must be NAMESPACE/NAME, got "${ref}"`);
  return { namespace: m[1] as string, name: m[2] as string };
}

function readPodFile(file: string): Pod {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StateError(`${file}: cannot read: ${(err as Error).message}`);
  }
  const pod = parseStateText(file, text).find((o) => (o as { kind?: unknown }).kind === 'Pod');
  if (!pod) throw new StateError(`${file}: no Pod object in the file`);
  return pod as Pod;
}

async function explain(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      state: { type: 'string', multiple: true },
      kubeconfig: { type: 'string' },
      config: { type: 'string' },
      pod: { type: 'string' },
      'pod-file': { type: 'string' },
      nodes: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'table' },
    },
    strict: true,
  });
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError('-o must be table or json');
  if ((values.pod === undefined) === (values['pod-file'] === undefined)) {
    throw new UsageError('explain needs exactly one of --pod NAMESPACE/NAME or --pod-file FILE');
  }
  const statePaths = values.state ?? [];
  if (statePaths.length > 0 && values.kubeconfig !== undefined) {
    throw new UsageError('--state and --kubeconfig exclude each other (--state uses no API server)');
  }
  const config = configFrom(values.config, {});
  const podRef = values.pod === undefined ? undefined : parsePodRef(values.pod);
  if (statePaths.length === 0) return await explainLive(values, podRef, config, io);
  const { store } = loadState(statePaths);
  let pod: Pod;
  if (podRef !== undefined) {
    const found = store.getPod(podRef.namespace, podRef.name);
    if (!found) {
      io.err(`source-affinity: pod "${values.pod}" is not in the state (${statePaths.join(', ')})\n`);
      return 1;
    }
    pod = found;
  } else {
    pod = readPodFile(values['pod-file'] as string);
  }
  return await printExplanation(pod, store, config, values, io);
}

/** Explains `pod` and prints the result as a table or JSON. */
async function printExplanation(
  pod: Pod,
  store: ClusterStore,
  config: Config,
  values: { nodes?: string | undefined; output?: string | undefined },
  io: Io,
): Promise<number> {
  const result = await explainPod(pod, store, config, nodeList(values.nodes));
  io.out(values.output === 'json' ? `${JSON.stringify(result)}\n` : formatTable(result));
  return 0;
}

function nodeList(flag: string | undefined): string[] | undefined {
  return flag
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * `explain` against the live cluster: syncs the same caches `serve` uses (logging warnings to
 * stderr), reads the pod from the API server, explains it, stops. Does I/O.
 */
async function explainLive(
  values: {
    kubeconfig?: string | undefined;
    nodes?: string | undefined;
    output?: string | undefined;
    'pod-file'?: string | undefined;
  },
  podRef: { namespace: string; name: string } | undefined,
  config: Config,
  io: Io,
): Promise<number> {
  const kubeConfig = loadKubeConfig(values.kubeconfig);
  const store = createLiveStore({ kubeConfig, logger: createLogger('warn', process.stderr) });
  try {
    await store.start();
    await waitForReady(store, EXPLAIN_SYNC_TIMEOUT_MS);
    let pod: Pod;
    if (podRef !== undefined) {
      const found = await readPod(kubeConfig, podRef.namespace, podRef.name);
      if (!found) {
        io.err(`source-affinity: pod "${podRef.namespace}/${podRef.name}" does not exist in the cluster\n`);
        return 1;
      }
      pod = found;
    } else {
      pod = readPodFile(values['pod-file'] as string);
    }
    return await printExplanation(pod, store, config, values, io);
  } finally {
    await store.stop();
  }
}

async function checkConfig(args: readonly string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('check-config needs exactly one FILE');
  const file = positionals[0] as string;
  const config = loadConfig(file);
  // serve would refuse these files at start: check them now (readable, key matches certificate).
  const tls = tlsFiles(config);
  if (tls) {
    try {
      await loadTlsMaterial(tls);
    } catch (err) {
      throw new ConfigError(file, [(err as Error).message]);
    }
  }
  io.out(`${file}: ok\n`);
  return 0;
}
