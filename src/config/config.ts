/**
 * The configuration: its typed shape, validation of a file (every error at once, with paths),
 * merging over the built-in defaults in `config/default.yaml`, and per-driver scope resolution.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { parseListenAddress } from '../server/address.js';
import type { ServerLimits } from '../server/listeners.js';
import { labelKeyError } from '../topology/labels.js';
import type { Scope } from '../topology/source.js';

export type CannotDecide = 'fail' | 'allow';

export interface DriverEntry {
  readonly clone?: Scope;
  readonly restore?: Scope;
}

export interface DriverScopes {
  readonly clone: Scope;
  readonly restore: Scope;
}

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCAFile: string;
}

export interface Config {
  readonly listen: string;
  readonly healthListen: string;
  /** Bytes. */
  readonly bodyLimit: number;
  readonly logLevel: string;
  readonly cannotDecide: CannotDecide;
  readonly tls: TlsConfig;
  /** Connection, timeout and concurrency bounds of the listeners. */
  readonly limits: ServerLimits;
  /** Driver entries after merging the file over the built-in presets (`default` always present). */
  readonly drivers: Readonly<Record<string, DriverEntry>>;
}

/** A config file that cannot be used; `errors` lists every problem with its path. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly errors: readonly string[],
  ) {
    super(`${file}: invalid configuration:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../../config/default.yaml', import.meta.url));

const SCOPE_MESSAGE = 'must be "source", "any" or a list of label keys';
const HOST_PORT = '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]*):[0-9]{1,5}$';
const HOST_PORT_RE = new RegExp(HOST_PORT);
const BYTES = '^[0-9]+(Ki|Mi|Gi)?$';

const scopeSchema = {
  oneOf: [
    { type: 'string', enum: ['source', 'any'] },
    { type: 'array', minItems: 1, items: { type: 'string' } },
  ],
};

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: { type: 'string', pattern: HOST_PORT },
    healthListen: {
      anyOf: [
        { type: 'string', const: '' },
        { type: 'string', pattern: HOST_PORT },
      ],
    },
    bodyLimit: {
      anyOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: BYTES },
      ],
    },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    cannotDecide: { type: 'string', enum: ['fail', 'allow'] },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        certFile: { type: 'string' },
        keyFile: { type: 'string' },
        clientCAFile: { type: 'string' },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxConnections: { type: 'integer', minimum: 1 },
        maxInFlight: { type: 'integer', minimum: 1 },
        headersTimeoutMs: { type: 'integer', minimum: 1 },
        requestTimeoutMs: { type: 'integer', minimum: 1 },
        keepAliveTimeoutMs: { type: 'integer', minimum: 1 },
        maxRequestsPerSocket: { type: 'integer', minimum: 0 },
      },
    },
    drivers: {
      type: 'object',
      // Provisioner names are CSI driver names (`ebs.csi.aws.com`) or, for in-tree and external
      // provisioners, may carry one `/` (`kubernetes.io/aws-ebs`, `rancher.io/local-path`).
      propertyNames: {
        pattern:
          '^(default|\\*\\.[A-Za-z0-9][-A-Za-z0-9_.]*|[A-Za-z0-9][-A-Za-z0-9_.]*(/[A-Za-z0-9][-A-Za-z0-9_.]*)?)$',
      },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { clone: scopeSchema, restore: scopeSchema },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: true });
const validateShape = ajv.compile(schema);

/** A JSON pointer segment for a key (which may hold `/`, as provisioner names do). */
const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/** `drivers["ebs.csi.aws.com"].restore`-style path from a JSON pointer. */
function displayPath(pointer: string): string {
  const segs = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const seg of segs) {
    if (/^[0-9]+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(top level)';
}

/** What a value that matches no branch of an `anyOf` must be, by JSON pointer. */
const ANY_OF_MESSAGES: Readonly<Record<string, string>> = {
  '/healthListen': 'must be HOST:PORT, or "" to serve the probes on listen',
  '/bodyLimit': 'must be a positive number of bytes, optionally with a Ki, Mi or Gi suffix',
};

function shapeErrors(errors: readonly ErrorObject[]): string[] {
  const out = new Set<string>();
  const scopePaths = new Set<string>();
  for (const e of errors) {
    if (/^\/drivers\/[^/]+\/(clone|restore)(\/|$)/.test(e.instancePath)) {
      const p = e.instancePath.replace(/^(\/drivers\/[^/]+\/(clone|restore)).*$/, '$1');
      if (!scopePaths.has(p)) out.add(`${displayPath(p)}: ${SCOPE_MESSAGE}`);
      scopePaths.add(p);
      continue;
    }
    // The branches of an anyOf, and the pattern behind propertyNames, only explain the summary
    // error reported for the same value; on their own they mislead ("must be integer").
    if (/\/(anyOf\/\d+|propertyNames)\//.test(e.schemaPath) || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    if (e.keyword === 'anyOf') {
      out.add(`${displayPath(e.instancePath)}: ${ANY_OF_MESSAGES[e.instancePath] ?? 'is invalid'}`);
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues ?? [];
      out.add(`${displayPath(e.instancePath)}: must be one of ${allowed.join(', ')}`);
    } else if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      out.add(`${displayPath(`${e.instancePath}/${pointerSegment(extra)}`)}: unknown key`);
    } else if (e.keyword === 'propertyNames') {
      const name = String((e.params as { propertyName?: unknown }).propertyName);
      out.add(
        `${displayPath(`${e.instancePath}/${pointerSegment(name)}`)}: not a driver name, "*.suffix" pattern or "default"`,
      );
    } else if (e.keyword === 'pattern') {
      out.add(`${displayPath(e.instancePath)}: must be HOST:PORT`);
    } else {
      out.add(`${displayPath(e.instancePath)}: ${e.message ?? 'is invalid'}`);
    }
  }
  return [...out];
}

/** Every problem in a parsed (not yet merged) config document, as `path: message` lines. */
export function validateConfigDocument(doc: unknown): string[] {
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) return ['(top level): must be a mapping of keys'];
  const errors = validateShape(doc) ? [] : shapeErrors(validateShape.errors ?? []);
  // The pattern admits what serve would refuse at start (port above 65535, an IPv4 address in brackets).
  for (const key of ['listen', 'healthListen'] as const) {
    const address: unknown = (doc as Record<string, unknown>)[key];
    if (typeof address !== 'string' || !HOST_PORT_RE.test(address)) continue;
    try {
      parseListenAddress(address);
    } catch (err) {
      errors.push(`${key}: ${(err as Error).message}`);
    }
  }
  const drivers = (doc as { drivers?: unknown }).drivers;
  if (drivers && typeof drivers === 'object') {
    for (const [name, entry] of Object.entries(drivers)) {
      for (const field of ['clone', 'restore'] as const) {
        const scope: unknown = (entry as Record<string, unknown> | null)?.[field];
        if (!Array.isArray(scope)) continue;
        scope.forEach((key, i) => {
          const err = typeof key === 'string' ? labelKeyError(key) : undefined;
          if (err) errors.push(`${displayPath(`/drivers/${pointerSegment(name)}/${field}/${i}`)}: ${err}`);
        });
      }
    }
  }
  return errors;
}

/** Reads and parses a YAML file; YAML syntax errors carry line and column. Throws ConfigError. Does I/O. */
function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map(
        (e) => `line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`,
      ),
    );
  }
  return doc.toJS();
}

function parseBytes(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(v);
  const mult = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as const;
  return Number(m?.[1]) * (m?.[2] ? mult[m[2] as keyof typeof mult] : 1);
}

type RawConfig = Partial<Omit<Config, 'bodyLimit' | 'tls' | 'limits'>> & {
  bodyLimit?: number | string;
  tls?: Partial<TlsConfig>;
  limits?: Partial<ServerLimits>;
};

function merge(base: RawConfig, over: RawConfig): RawConfig {
  const drivers: Record<string, DriverEntry> = { ...base.drivers };
  for (const [name, entry] of Object.entries(over.drivers ?? {})) drivers[name] = { ...drivers[name], ...entry };
  return { ...base, ...over, tls: { ...base.tls, ...over.tls }, limits: { ...base.limits, ...over.limits }, drivers };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Loads the configuration: built-in defaults, then `file` (if given) merged over them, then
 * `overrides` (flags, environment). Validates everything; throws ConfigError listing every problem.
 * Returns a frozen object. Does I/O (reads the files).
 */
export function loadConfig(file?: string, overrides: Partial<Pick<Config, 'listen' | 'logLevel'>> = {}): Config {
  const builtin = readYaml(DEFAULT_CONFIG_FILE) as RawConfig;
  let raw = builtin;
  if (file !== undefined) {
    const doc = readYaml(file);
    const errors = validateConfigDocument(doc);
    if (errors.length > 0) throw new ConfigError(file, errors);
    raw = merge(builtin, (doc ?? {}) as RawConfig);
  }
  raw = merge(raw, overrides);
  const errors = validateConfigDocument(raw);
  if (errors.length > 0) throw new ConfigError(file ?? '(flags)', errors);
  const tls = { certFile: '', keyFile: '', clientCAFile: '', ...raw.tls };
  if ((tls.certFile === '') !== (tls.keyFile === '')) {
    throw new ConfigError(file ?? '(flags)', ['tls: certFile and keyFile must be set together']);
  }
  if (tls.clientCAFile !== '' && tls.certFile === '') {
    throw new ConfigError(file ?? '(flags)', ['tls.clientCAFile: needs tls.certFile and tls.keyFile']);
  }
  if (tls.clientCAFile !== '' && (raw.healthListen ?? '') === '') {
    // Under mTLS nothing without a client certificate could reach /healthz, /readyz or /metrics.
    throw new ConfigError(file ?? '(flags)', [
      'healthListen: required with tls.clientCAFile (kubelet probes and Prometheus cannot present a client certificate)',
    ]);
  }
  const limits = raw.limits as ServerLimits;
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    // Node refuses a headers timeout longer than the whole-request timeout.
    throw new ConfigError(file ?? '(flags)', ['limits.headersTimeoutMs: must not exceed limits.requestTimeoutMs']);
  }
  return deepFreeze({
    listen: raw.listen ?? '127.0.0.1:8888',
    healthListen: raw.healthListen ?? '',
    bodyLimit: parseBytes(raw.bodyLimit ?? '64Mi'),
    logLevel: raw.logLevel ?? 'info',
    cannotDecide: raw.cannotDecide ?? 'fail',
    tls,
    limits: { ...limits },
    drivers: raw.drivers ?? {},
  });
}

const FALLBACK: DriverScopes = { clone: 'source', restore: 'source' };

/**
 * The clone and restore scopes for a provisioner: the exact entry, else the longest matching
 * `*.suffix` pattern, else `default`; a field the entry omits comes from `default`.
 */
export function driverScopes(drivers: Readonly<Record<string, DriverEntry>>, provisioner: string): DriverScopes {
  let entry: DriverEntry | undefined = Object.hasOwn(drivers, provisioner) ? drivers[provisioner] : undefined;
  if (entry === undefined) {
    let best = -1;
    for (const [name, e] of Object.entries(drivers)) {
      if (!name.startsWith('*.')) continue;
      const suffix = name.slice(1);
      if (provisioner.endsWith(suffix) && provisioner.length > suffix.length && suffix.length > best) {
        best = suffix.length;
        entry = e;
      }
    }
  }
  const def = drivers.default ?? FALLBACK;
  return {
    clone: entry?.clone ?? def.clone ?? FALLBACK.clone,
    restore: entry?.restore ?? def.restore ?? FALLBACK.restore,
  };
}
