/**
 * An in-process Kubernetes API server for tests (never shipped). It speaks the parts of the REST
 * protocol that informers and direct reads use, over real HTTP on 127.0.0.1:
 *
 * - `GET` list of a collection (`kind: <Kind>List`, `metadata.resourceVersion`, `limit`/`continue`),
 *   cluster-wide or in one namespace; `GET` of one object; 404 `Status` for a missing one;
 * - `?watch=true`: a chunked stream of newline-separated JSON events `ADDED`/`MODIFIED`/`DELETED`
 *   (and `BOOKMARK` when `allowWatchBookmarks=true` and the test calls `bookmark()`), replaying the
 *   events after the given `resourceVersion`, or synthetic `ADDED` events for every object when it is
 *   empty or "0" — as the real API server does; a `resourceVersion` older than the retained history
 *   gets `410 Gone`, as an `ERROR` event (what the real server sends) or as an HTTP status;
 * - discovery: `/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`;
 * - plain HTTP, or HTTPS with an optional client-certificate requirement (`tls`); a bearer token
 *   (`token`).
 *
 * One resourceVersion counter is shared by all objects, as etcd's revision is.
 *
 * Fault injection: `inject()` adds rules matched per request (status code, hang, delay, connection
 * reset), `dropWatches()` ends open watches (cleanly or abruptly), `sendGone()` sends 410 on open
 * watches, `compact()` expires the event history, `setOffline()` resets every connection (the API
 * server is unreachable), `uninstallApi()`/`installApi()` remove or add a CRD-backed group/version.
 *
 * Usage:
 * ```ts
 * const api = await TestApiServer.start({ objects: [node, pv] });
 * const kubeconfigPath = await api.writeKubeconfig();
 * api.create(pvc);                                   // emits ADDED to open watches
 * const undo = api.inject({ verb: 'watch', action: { status: 500 } });
 * await api.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  groupVersion,
  type ParsedRequest,
  parseRequestPath,
  RESOURCE_TYPES,
  type ResourceType,
  resourceTypeByKind,
} from './apiserver/resources.js';

export { collectionPath, RESOURCE_TYPES, type ResourceType } from './apiserver/resources.js';

/** A Kubernetes object as JSON; the server only reads `kind` and `metadata.name`/`namespace`. */
export interface ApiObject {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

type Json = Record<string, unknown>;
type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export type FaultVerb = ParsedRequest['verb'];

/** What an injected fault does to a matching request. */
export type FaultAction =
  /** Reply with this HTTP status and a `Status` body (e.g. 500, 429, 410, 403). */
  | { readonly status: number; readonly message?: string }
  /** Never answer (the client's timeout or abort ends it). */
  | { readonly hang: true }
  /** Answer normally after this delay. */
  | { readonly delayMs: number }
  /** Destroy the connection without an answer. */
  | { readonly reset: true };

export interface Fault {
  /** Only requests of this verb (any when unset). */
  readonly verb?: FaultVerb;
  /** Only requests for this resource (plural, e.g. `persistentvolumeclaims`; any when unset). */
  readonly resource?: string;
  readonly action: FaultAction;
  /** Apply to this many matching requests, then expire (unlimited when unset). */
  readonly times?: number;
}

export interface TestApiServerOptions {
  /** Objects present at start (resourceVersions are assigned in order). */
  readonly objects?: readonly ApiObject[];
  /** CRD-backed group/versions installed at start (default: all of them). */
  readonly installedApis?: readonly string[];
  /** When set, requests must carry `Authorization: Bearer <token>` or get 401. */
  readonly token?: string;
  /** How an expired resourceVersion is reported on a watch: `event` (default, as the real server) or `status`. */
  readonly goneAs?: 'event' | 'status';
  /** Events kept for watch replay before the oldest are compacted away (default 10,000). */
  readonly historyLimit?: number;
  /** How long an idle keep-alive connection stays open (default Node's 5 s). */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Serve HTTPS with this certificate (it must name 127.0.0.1); the kubeconfig then trusts `ca`.
   * With `client`, the server requires a client certificate signed by `ca` and the kubeconfig
   * presents `client` (mutual TLS, as a real API server authenticates certificate users).
   */
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly ca: string;
    readonly client?: { readonly cert: string; readonly key: string };
  };
}

export interface RequestRecord {
  readonly verb: FaultVerb;
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly path: string;
}

interface StoredEvent {
  readonly rv: number;
  readonly type: WatchEventType;
  readonly plural: string;
  readonly namespace: string;
  readonly object: Json;
}

interface OpenWatch {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
}

interface ArmedFault extends Fault {
  remaining: number;
}

/** `Status.reason` per HTTP status, as the API server words them. */
const STATUS_REASONS: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'Expired',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

const CRD_GROUP_VERSIONS = [...new Set(RESOURCE_TYPES.filter((t) => t.crd).map(groupVersion))];

export class TestApiServer {
  readonly #server: Server;
  readonly #options: TestApiServerOptions;
  readonly #objects = new Map<string, Map<string, Json>>();
  readonly #history: StoredEvent[] = [];
  readonly #watches = new Set<OpenWatch>();
  readonly #sockets = new Set<Socket>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #installed: Set<string>;
  readonly #requests: RequestRecord[] = [];
  #faults: ArmedFault[] = [];
  #rv = 0;
  /** Watches from a resourceVersion below this get 410. */
  #oldestRv = 0;
  #offline = false;
  #port = 0;

  private constructor(options: TestApiServerOptions) {
    this.#options = options;
    this.#installed = new Set(options.installedApis ?? CRD_GROUP_VERSIONS);
    for (const type of RESOURCE_TYPES) this.#objects.set(type.plural, new Map());
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    };
    const tls = options.tls;
    this.#server =
      tls === undefined
        ? createServer(handler)
        : createHttpsServer(
            {
              cert: tls.cert,
              key: tls.key,
              ...(tls.client === undefined ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: true }),
            },
            handler,
          );
    if (options.keepAliveTimeoutMs !== undefined) this.#server.keepAliveTimeout = options.keepAliveTimeoutMs;
    this.#server.on('connection', (socket) => {
      if (this.#offline) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a server on 127.0.0.1 on an ephemeral port, seeded with `options.objects`. */
  static async start(options: TestApiServerOptions = {}): Promise<TestApiServer> {
    const self = new TestApiServer(options);
    await new Promise<void>((resolve, reject) => {
      self.#server.once('error', reject);
      self.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = self.#server.address();
    self.#port = typeof address === 'object' && address !== null ? address.port : 0;
    for (const obj of options.objects ?? []) self.create(obj);
    return self;
  }

  /** The port it listens on (127.0.0.1). */
  get port(): number {
    return this.#port;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234` (`https://` with `tls`). */
  get url(): string {
    return `${this.#options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.#port}`;
  }

  // ---- objects ----------------------------------------------------------------------------------

  /** Creates an object (assigning uid and resourceVersion) and emits ADDED. Throws if it exists. */
  create(obj: ApiObject): Json {
    const { type, key, namespace } = this.#locate(obj);
    const store = this.#store(type);
    if (store.has(key)) throw new Error(`${type.kind} ${key} already exists`);
    const stored = this.#stamp(obj, type, randomUUID());
    store.set(key, stored);
    this.#emit('ADDED', type, namespace, stored);
    return structuredClone(stored);
  }

  /** Replaces an existing object (keeping its uid) and emits MODIFIED. Throws if it does not exist. */
  update(obj: ApiObject): Json {
    const { type, key, namespace } = this.#locate(obj);
    const store = this.#store(type);
    const old = store.get(key);
    if (old === undefined) throw new Error(`${type.kind} ${key} does not exist`);
    const stored = this.#stamp(obj, type, String(metadataOf(old).uid));
    store.set(key, stored);
    this.#emit('MODIFIED', type, namespace, stored);
    return structuredClone(stored);
  }

  /** Creates or updates. */
  apply(obj: ApiObject): Json {
    const { type, key } = this.#locate(obj);
    return this.#store(type).has(key) ? this.update(obj) : this.create(obj);
  }

  /** Deletes an object and emits DELETED; returns whether it existed. */
  delete(kind: string, namespace: string, name: string): boolean {
    const type = this.#typeOfKind(kind);
    const key = type.namespaced ? `${namespace}/${name}` : name;
    const store = this.#store(type);
    const old = store.get(key);
    if (old === undefined) return false;
    store.delete(key);
    const tombstone = structuredClone(old);
    metadataOf(tombstone).resourceVersion = String(++this.#rv);
    this.#emit('DELETED', type, type.namespaced ? namespace : '', tombstone);
    return true;
  }

  /** A copy of a stored object, or undefined. */
  get(kind: string, namespace: string, name: string): Json | undefined {
    const type = this.#typeOfKind(kind);
    const obj = this.#store(type).get(type.namespaced ? `${namespace}/${name}` : name);
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  // ---- faults -----------------------------------------------------------------------------------

  /** Adds a fault rule (checked in insertion order); returns a function that removes it. */
  inject(fault: Fault): () => void {
    const armed: ArmedFault = { ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
    this.#faults.push(armed);
    return () => {
      this.#faults = this.#faults.filter((f) => f !== armed);
    };
  }

  /** Removes every fault rule and drops the connections of hanging requests (their clients see a reset). */
  clearFaults(): void {
    this.#faults = [];
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
  }

  /**
   * Ends open watches (of one resource, or all): `abrupt` destroys the connection (the client sees a
   * network error), otherwise the stream ends cleanly (as on the server's watch timeout). Returns how
   * many were dropped.
   */
  dropWatches(options: { readonly resource?: string; readonly abrupt?: boolean } = {}): number {
    let dropped = 0;
    for (const watch of [...this.#watches]) {
      if (options.resource !== undefined && watch.type.plural !== options.resource) continue;
      this.#watches.delete(watch);
      if (options.abrupt) watch.res.socket?.destroy();
      else watch.res.end();
      dropped++;
    }
    return dropped;
  }

  /** Sends `410 Gone` as an ERROR event on open watches (of one resource, or all) and ends them. */
  sendGone(resource?: string): number {
    let sent = 0;
    for (const watch of [...this.#watches]) {
      if (resource !== undefined && watch.type.plural !== resource) continue;
      this.#watches.delete(watch);
      watch.res.end(`${JSON.stringify({ type: 'ERROR', object: goneStatus(this.#oldestRv) })}\n`);
      sent++;
    }
    return sent;
  }

  /** Forgets the event history: any later watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.#history.length = 0;
    this.#oldestRv = this.#rv;
  }

  /** Sends a BOOKMARK with the current resourceVersion to open watches that asked for bookmarks. */
  bookmark(): void {
    for (const watch of this.#watches) {
      if (!watch.bookmarks) continue;
      const object = {
        kind: watch.type.kind,
        apiVersion: groupVersion(watch.type),
        metadata: { resourceVersion: String(this.#rv) },
      };
      watch.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /**
   * Offline: every open connection is destroyed and new ones are reset on accept, as when the API
   * server is down. Online again: connections are served as usual.
   */
  setOffline(offline: boolean): void {
    this.#offline = offline;
    if (!offline) return;
    this.#watches.clear();
    this.#hanging.clear();
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Removes a CRD-backed group/version (e.g. `snapshot.storage.k8s.io/v1`): its objects are deleted, its watches end, discovery no longer lists it. */
  uninstallApi(gv: string): void {
    if (!CRD_GROUP_VERSIONS.includes(gv)) throw new Error(`not a CRD-backed group/version: ${gv}`);
    this.#installed.delete(gv);
    for (const type of RESOURCE_TYPES) {
      if (groupVersion(type) !== gv) continue;
      this.#store(type).clear();
      for (const watch of [...this.#watches]) {
        if (watch.type !== type) continue;
        this.#watches.delete(watch);
        watch.res.end();
      }
    }
  }

  /** Installs a CRD-backed group/version (empty). */
  installApi(gv: string): void {
    if (!CRD_GROUP_VERSIONS.includes(gv)) throw new Error(`not a CRD-backed group/version: ${gv}`);
    this.#installed.add(gv);
  }

  // ---- introspection ----------------------------------------------------------------------------

  /** Open TCP connections (idle keep-alive ones included). */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Open watch streams (of one resource, or all). */
  openWatches(resource?: string): number {
    let n = 0;
    for (const watch of this.#watches) if (resource === undefined || watch.type.plural === resource) n++;
    return n;
  }

  /** Requests received so far that match the filter (every field optional). */
  requests(filter: Partial<RequestRecord> = {}): RequestRecord[] {
    return this.#requests.filter(
      (r) =>
        (filter.verb === undefined || r.verb === filter.verb) &&
        (filter.resource === undefined || r.resource === filter.resource) &&
        (filter.namespace === undefined || r.namespace === filter.namespace) &&
        (filter.name === undefined || r.name === filter.name),
    );
  }

  /** Forgets the recorded requests (the log grows with every request otherwise). */
  clearRequests(): void {
    this.#requests.length = 0;
  }

  /** A `KubeConfig` pointing at this server (with the bearer token, if any). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigText());
    return kc;
  }

  /** The kubeconfig file contents (JSON, which is YAML) pointing at this server. */
  kubeconfigText(): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: this.url, ...this.#trust() } }],
      users: [{ name: 'test', user: this.#credentials() }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
      'current-context': 'test',
    });
  }

  #trust(): Json {
    const tls = this.#options.tls;
    // The client only speaks plain HTTP to a cluster marked insecure-skip-tls-verify.
    if (tls === undefined) return { 'insecure-skip-tls-verify': true };
    return { 'certificate-authority-data': Buffer.from(tls.ca).toString('base64') };
  }

  #credentials(): Json {
    const client = this.#options.tls?.client;
    return {
      ...(this.#options.token === undefined ? {} : { token: this.#options.token }),
      ...(client === undefined
        ? {}
        : {
            'client-certificate-data': Buffer.from(client.cert).toString('base64'),
            'client-key-data': Buffer.from(client.key).toString('base64'),
          }),
    };
  }

  /** Writes the kubeconfig to a new file (in `dir`, default a fresh temp dir); returns its path. */
  async writeKubeconfig(dir?: string): Promise<string> {
    const target = dir ?? (await mkdtemp(join(tmpdir(), 'apiserver-')));
    const path = join(target, 'kubeconfig');
    await writeFile(path, this.kubeconfigText());
    return path;
  }

  /** Ends every connection and stops listening. */
  async close(): Promise<void> {
    this.#offline = true;
    this.#watches.clear();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- internals --------------------------------------------------------------------------------

  #typeOfKind(kind: string): ResourceType {
    const type = resourceTypeByKind(kind);
    if (type === undefined) throw new Error(`unknown kind ${kind}`);
    return type;
  }

  #store(type: ResourceType): Map<string, Json> {
    const store = this.#objects.get(type.plural);
    if (store === undefined) throw new Error(`no store for ${type.plural}`);
    return store;
  }

  #locate(obj: ApiObject): { type: ResourceType; key: string; namespace: string } {
    const type = this.#typeOfKind(obj.kind ?? '');
    if (type.crd && !this.#installed.has(groupVersion(type))) {
      throw new Error(`${groupVersion(type)} is not installed`);
    }
    const name = obj.metadata?.name;
    if (!name) throw new Error(`${type.kind} without metadata.name`);
    const namespace = type.namespaced ? (obj.metadata?.namespace ?? 'default') : '';
    return { type, key: type.namespaced ? `${namespace}/${name}` : name, namespace };
  }

  #stamp(obj: ApiObject, type: ResourceType, uid: string): Json {
    const copy = structuredClone(obj) as Json;
    copy.apiVersion = groupVersion(type);
    copy.kind = type.kind;
    const metadata = { ...((copy.metadata as Json | undefined) ?? {}) };
    if (type.namespaced && metadata.namespace === undefined) metadata.namespace = 'default';
    metadata.uid = uid;
    metadata.resourceVersion = String(++this.#rv);
    copy.metadata = metadata;
    return copy;
  }

  #emit(type: WatchEventType, resource: ResourceType, namespace: string, object: Json): void {
    const event: StoredEvent = { rv: this.#rv, type, plural: resource.plural, namespace, object };
    this.#history.push(event);
    const limit = this.#options.historyLimit ?? 10_000;
    if (this.#history.length > limit) {
      const dropped = this.#history.splice(0, this.#history.length - limit);
      this.#oldestRv = dropped.at(-1)?.rv ?? this.#oldestRv;
    }
    const line = `${JSON.stringify({ type, object })}\n`;
    for (const watch of this.#watches) {
      if (watch.type === resource && (watch.namespace === undefined || watch.namespace === namespace)) {
        watch.res.write(line);
      }
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const parsed = parseRequestPath(url.pathname, url.searchParams);
    this.#requests.push({
      verb: parsed?.verb ?? 'discovery',
      path: url.pathname,
      ...(parsed === undefined || parsed.verb === 'discovery'
        ? {}
        : {
            resource: parsed.type.plural,
            ...(parsed.namespace === undefined ? {} : { namespace: parsed.namespace }),
            ...(parsed.verb === 'get' ? { name: parsed.name } : {}),
          }),
    });
    if (this.#options.token !== undefined && req.headers.authorization !== `Bearer ${this.#options.token}`) {
      sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    if (req.method !== 'GET') {
      sendStatus(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the test API server`);
      return;
    }
    if (parsed !== undefined && !(await this.#applyFault(parsed, res))) return;
    if (
      parsed === undefined ||
      (parsed.verb !== 'discovery' && parsed.type.crd && !this.#installed.has(groupVersion(parsed.type)))
    ) {
      sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    if (parsed.verb === 'discovery') this.#discovery(parsed.discoveryPath, res);
    else if (parsed.verb === 'get') this.#get(parsed.type, parsed.namespace, parsed.name, res);
    else if (parsed.verb === 'list') this.#list(parsed.type, parsed.namespace, url.searchParams, res);
    else this.#watch(parsed.type, parsed.namespace, url.searchParams, res);
  }

  /** Applies the first matching fault; returns whether the request should be served normally. */
  async #applyFault(parsed: ParsedRequest, res: ServerResponse): Promise<boolean> {
    const fault = this.#faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.verb === undefined || f.verb === parsed.verb) &&
        (f.resource === undefined || (parsed.verb !== 'discovery' && f.resource === parsed.type.plural)),
    );
    if (fault === undefined) return true;
    fault.remaining--;
    const action = fault.action;
    if ('delayMs' in action) {
      await new Promise((resolve) => setTimeout(resolve, action.delayMs));
      return !res.destroyed;
    }
    if ('hang' in action) {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
    } else if ('reset' in action) {
      res.socket?.destroy();
    } else {
      const reason = STATUS_REASONS[action.status] ?? 'InternalError';
      if (action.status === 429) res.setHeader('Retry-After', '1');
      sendStatus(res, action.status, reason, action.message ?? `injected fault: HTTP ${action.status}`);
    }
    return false;
  }

  #discovery(path: string, res: ServerResponse): void {
    const trimmed = path.replace(/\/+$/, '');
    const installedTypes = RESOURCE_TYPES.filter((t) => !t.crd || this.#installed.has(groupVersion(t)));
    if (trimmed === '/api') {
      sendJson(res, 200, { kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'], serverAddressByClientCIDRs: [] });
      return;
    }
    if (trimmed === '/apis') {
      const groups = [...new Set(installedTypes.filter((t) => t.group !== '').map((t) => t.group))].map((group) => {
        const versions = [...new Set(installedTypes.filter((t) => t.group === group).map((t) => t.version))].map(
          (version) => ({ groupVersion: `${group}/${version}`, version }),
        );
        return { name: group, versions, preferredVersion: versions[0] };
      });
      sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      return;
    }
    const gv = trimmed.startsWith('/apis/') ? trimmed.slice('/apis/'.length) : trimmed.slice('/api/'.length);
    const types = installedTypes.filter((t) => groupVersion(t) === gv);
    if (types.length === 0) {
      sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    sendJson(res, 200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: types.map((t) => ({
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'list', 'watch'],
      })),
    });
  }

  #get(type: ResourceType, namespace: string | undefined, name: string, res: ServerResponse): void {
    const key = type.namespaced ? `${namespace}/${name}` : name;
    const obj = this.#store(type).get(key);
    if (obj === undefined) {
      sendStatus(res, 404, 'NotFound', `${type.plural} "${name}" not found`, {
        name,
        group: type.group,
        kind: type.plural,
      });
      return;
    }
    sendJson(res, 200, obj);
  }

  /** Objects of a type (in one namespace), sorted by key so `continue` tokens are stable. */
  #select(type: ResourceType, namespace: string | undefined): [string, Json][] {
    const prefix = namespace === undefined ? '' : `${namespace}/`;
    return [...this.#store(type).entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }

  #list(type: ResourceType, namespace: string | undefined, query: URLSearchParams, res: ServerResponse): void {
    // Continue tokens carry the last key served; unlike the real server, later pages show the
    // current state rather than a snapshot at the first page's resourceVersion.
    const after = query.get('continue') ? Buffer.from(query.get('continue') ?? '', 'base64url').toString() : '';
    const limit = Number(query.get('limit') ?? '0');
    const all = this.#select(type, namespace).filter(([key]) => key > after);
    const page = limit > 0 ? all.slice(0, limit) : all;
    const more = limit > 0 && all.length > limit;
    const last = page.at(-1)?.[0] ?? '';
    sendJson(res, 200, {
      kind: `${type.kind}List`,
      apiVersion: groupVersion(type),
      metadata: {
        resourceVersion: String(this.#rv),
        ...(more ? { continue: Buffer.from(last).toString('base64url') } : {}),
      },
      items: page.map(([, obj]) => obj),
    });
  }

  #watch(type: ResourceType, namespace: string | undefined, query: URLSearchParams, res: ServerResponse): void {
    const from = query.get('resourceVersion') ?? '';
    const fromRv = from === '' || from === '0' ? undefined : Number(from);
    if (fromRv !== undefined && (!Number.isFinite(fromRv) || fromRv < this.#oldestRv)) {
      if (this.#options.goneAs === 'status') {
        sendStatus(res, 410, 'Expired', `too old resource version: ${from} (${this.#oldestRv})`);
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: goneStatus(this.#oldestRv, from) })}\n`);
      }
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (fromRv === undefined) {
      for (const [, object] of this.#select(type, namespace)) {
        res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
      }
    } else {
      for (const event of this.#history) {
        if (event.rv <= fromRv || event.plural !== type.plural) continue;
        if (namespace !== undefined && event.namespace !== namespace) continue;
        res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
      }
    }
    const watch: OpenWatch = {
      type,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      res,
      ...(namespace === undefined ? {} : { namespace }),
    };
    this.#watches.add(watch);
    res.on('close', () => this.#watches.delete(watch));
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) {
      const timer = setTimeout(() => {
        this.#watches.delete(watch);
        res.end();
      }, timeoutSeconds * 1000);
      res.on('close', () => clearTimeout(timer));
    }
  }
}

function metadataOf(obj: Json): Json {
  return obj.metadata as Json;
}

function goneStatus(oldest: number, from?: string): Json {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${from ?? '?'} (${oldest})`,
    reason: 'Expired',
    code: 410,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: Json): void {
  sendJson(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details === undefined ? {} : { details }),
  });
}
