/**
 * The configuration: defaults and built-in driver presets, merging a file and flags over them,
 * byte units, validation that reports every error with its path, and per-driver scope resolution.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  type Config,
  ConfigError,
  type DriverEntry,
  type DriverScopes,
  driverScopes,
  loadConfig,
  validateConfigDocument,
} from '../../src/config/config.js';
import { DEFAULT_LIMITS } from '../../src/server/listeners.js';

const REGION = 'topology.kubernetes.io/region';

/** The built-in presets, as the core issue lists them. */
const PRESETS: Readonly<Record<string, DriverEntry>> = {
  default: { clone: 'source', restore: 'source' },
  'ebs.csi.aws.com': { clone: 'source', restore: [REGION] },
  'pd.csi.storage.gke.io': { clone: 'source', restore: 'any' },
  'disk.csi.azure.com': { clone: 'source', restore: [REGION] },
  'rbd.csi.ceph.com': { clone: 'any', restore: 'any' },
  'cephfs.csi.ceph.com': { clone: 'any', restore: 'any' },
  '*.rbd.csi.ceph.com': { clone: 'any', restore: 'any' },
  '*.cephfs.csi.ceph.com': { clone: 'any', restore: 'any' },
  'driver.longhorn.io': { clone: 'any', restore: 'any' },
  'pxd.portworx.com': { clone: 'any', restore: 'any' },
  'topolvm.io': { clone: 'source', restore: 'source' },
  'topolvm.cybozu.com': { clone: 'source', restore: 'source' },
  'zfs.csi.openebs.io': { clone: 'source', restore: 'source' },
  'hostpath.csi.k8s.io': { clone: 'source', restore: 'source' },
};

const DEFAULTS: Config = {
  listen: '127.0.0.1:8888',
  healthListen: '',
  bodyLimit: 64 * 1024 * 1024,
  logLevel: 'info',
  cannotDecide: 'fail',
  tls: { certFile: '', keyFile: '', clientCAFile: '' },
  // The listeners' built-in limits and config/default.yaml must say the same.
  limits: DEFAULT_LIMITS,
  drivers: PRESETS,
};

const dir = mkdtempSync(join(tmpdir(), 'source-affinity-config-'));
let files = 0;
/** Writes `text` to a new file and returns its path. */
function configFile(text: string): string {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError `fn` throws, as `{file, errors}`; fails the test when it does not throw one. */
function configErrorOf(fn: () => unknown): { file: string; errors: readonly string[] } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return { file: err.file, errors: err.errors };
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function isDeepFrozen(o: unknown): boolean {
  if (o === null || typeof o !== 'object') return true;
  return Object.isFrozen(o) && Object.values(o).every(isDeepFrozen);
}

describe('config', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('loadConfig', () => {
    it('without a file: the documented defaults and the built-in presets, deeply frozen', () => {
      const config = loadConfig();
      expect({ config, frozen: isDeepFrozen(config) }).to.deep.equal({ config: DEFAULTS, frozen: true });
    });

    interface Case {
      readonly name: string;
      readonly file?: string;
      readonly overrides?: Parameters<typeof loadConfig>[1];
      readonly want: Partial<Config>;
    }
    const cases: Case[] = [
      { name: 'an empty file keeps every default', file: '', want: {} },
      { name: 'a file of comments keeps every default', file: '# nothing here\n', want: {} },
      {
        name: 'scalar keys from the file replace the defaults',
        file: 'listen: 0.0.0.0:9443\nhealthListen: ":8080"\nlogLevel: debug\ncannotDecide: allow\n',
        want: { listen: '0.0.0.0:9443', healthListen: ':8080', logLevel: 'debug', cannotDecide: 'allow' },
      },
      {
        name: 'flags win over the file',
        file: 'listen: 0.0.0.0:9443\nlogLevel: debug\n',
        overrides: { listen: '127.0.0.1:0', logLevel: 'warn' },
        want: { listen: '127.0.0.1:0', logLevel: 'warn' },
      },
      {
        name: 'flags win over the defaults without a file',
        overrides: { listen: '[::1]:8888' },
        want: { listen: '[::1]:8888' },
      },
      {
        name: 'a key given twice: the last one wins',
        file: 'listen: 10.0.0.1:1\nlisten: 10.0.0.2:2\n',
        want: { listen: '10.0.0.2:2' },
      },
      {
        name: 'tls files given in part keep the other defaults',
        file: 'tls:\n  certFile: /tls/tls.crt\n  keyFile: /tls/tls.key\n',
        want: { tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', clientCAFile: '' } },
      },
      {
        name: 'a driver entry is merged field by field over the built-in preset of the same name',
        file: 'drivers:\n  ebs.csi.aws.com:\n    clone: any\n',
        want: { drivers: { ...PRESETS, 'ebs.csi.aws.com': { clone: 'any', restore: [REGION] } } },
      },
      {
        name: 'the default entry is merged field by field too',
        file: 'drivers:\n  default:\n    restore: any\n',
        want: { drivers: { ...PRESETS, default: { clone: 'source', restore: 'any' } } },
      },
      {
        name: 'new entries and patterns are added beside the presets',
        file: 'drivers:\n  csi.example.com:\n    restore: [example.com/rack]\n  "*.vendor.io":\n    clone: any\n',
        want: {
          drivers: {
            ...PRESETS,
            'csi.example.com': { restore: ['example.com/rack'] },
            '*.vendor.io': { clone: 'any' },
          },
        },
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const file = tc.file === undefined ? undefined : configFile(tc.file);
        expect(loadConfig(file, tc.overrides)).to.deep.equal({ ...DEFAULTS, ...tc.want });
      });
    }

    describe('bodyLimit units', () => {
      const units: { name: string; value: string; want: number }[] = [
        { name: 'a plain integer is bytes', value: '1048576', want: 1048576 },
        { name: 'a quoted integer is bytes', value: '"512"', want: 512 },
        { name: 'Ki is 1024', value: '3Ki', want: 3 * 1024 },
        { name: 'Mi is 1024²', value: '2Mi', want: 2 * 1024 ** 2 },
        { name: 'Gi is 1024³', value: '1Gi', want: 1024 ** 3 },
      ];
      for (const tc of units) {
        it(tc.name, () => {
          expect(loadConfig(configFile(`bodyLimit: ${tc.value}\n`)).bodyLimit).to.equal(tc.want);
        });
      }

      const invalid = ['0', '-1', '1.5Mi', '10MB', '1ki', '1 Mi', 'Mi', '""', '1.5'];
      for (const value of invalid) {
        it(`rejects ${value}`, () => {
          const file = configFile(`bodyLimit: ${value}\n`);
          expect(configErrorOf(() => loadConfig(file))).to.deep.equal({
            file,
            errors: ['bodyLimit: must be a positive number of bytes, optionally with a Ki, Mi or Gi suffix'],
          });
        });
      }
    });

    describe('errors', () => {
      it('reports every error in the file at once, each with its path', () => {
        const file = configFile(
          [
            'listen: localhost',
            'healthListen: 8080',
            'bodyLimit: 10MB',
            'logLevel: loud',
            'cannotDecide: maybe',
            'colour: blue',
            'tls:',
            '  certFile: 3',
            '  cert: x',
            'drivers:',
            '  ebs.csi.aws.com:',
            '    restore: regional',
            '  "Bad Name!":',
            '    clone: any',
            '  topolvm.io:',
            '    clone: [topology.topolvm.io/node, "a/b/c"]',
            '    snapshot: any',
            '  "*.example.com":',
            '    clone: []',
            '',
          ].join('\n'),
        );
        expect(configErrorOf(() => loadConfig(file))).to.deep.equal({
          file,
          errors: [
            'colour: unknown key',
            'listen: must be HOST:PORT',
            'healthListen: must be HOST:PORT, or "" to serve the probes on listen',
            'bodyLimit: must be a positive number of bytes, optionally with a Ki, Mi or Gi suffix',
            'logLevel: must be one of fatal, error, warn, info, debug, trace, silent',
            'cannotDecide: must be one of fail, allow',
            'tls.cert: unknown key',
            'tls.certFile: must be string',
            'drivers["Bad Name!"]: not a driver name, "*.suffix" pattern or "default"',
            'drivers["ebs.csi.aws.com"].restore: must be "source", "any" or a list of label keys',
            'drivers["topolvm.io"].snapshot: unknown key',
            'drivers["*.example.com"].clone: must be "source", "any" or a list of label keys',
            'drivers["topolvm.io"].clone[1]: invalid label key "a/b/c": at most one "/" is allowed',
          ],
        });
      });

      const cases: { name: string; text: string; want: readonly string[] }[] = [
        {
          name: 'a list at the top level',
          text: '- listen: 127.0.0.1:8888\n',
          want: ['(top level): must be a mapping of keys'],
        },
        { name: 'a scalar at the top level', text: 'hello\n', want: ['(top level): must be a mapping of keys'] },
        {
          name: 'a TLS key without a certificate',
          text: 'tls:\n  keyFile: /tls/tls.key\n',
          want: ['tls: certFile and keyFile must be set together'],
        },
        {
          name: 'a client CA without a server certificate',
          text: 'healthListen: 127.0.0.1:8080\ntls:\n  clientCAFile: /tls/ca.crt\n',
          want: ['tls.clientCAFile: needs tls.certFile and tls.keyFile'],
        },
      ];
      for (const tc of cases) {
        it(tc.name, () => {
          const file = configFile(tc.text);
          expect(configErrorOf(() => loadConfig(file))).to.deep.equal({ file, errors: tc.want });
        });
      }

      it('YAML syntax errors carry line and column, each on one line', () => {
        const file = configFile('listen: 127.0.0.1:8888\ndrivers: [a\n');
        const { errors } = configErrorOf(() => loadConfig(file));
        // The parser's own words follow the position; this project writes the position.
        const position = 'line 3, column 1: ';
        expect(
          errors.map((e) => ({ position: e.slice(0, position.length), oneLine: !e.includes('\n') })),
        ).to.deep.equal([{ position, oneLine: true }]);
      });

      it('an unreadable file', () => {
        const file = join(dir, 'missing.yaml');
        expect(configErrorOf(() => loadConfig(file))).to.deep.equal({
          file,
          errors: [`cannot read file: ENOENT: no such file or directory, open '${file}'`],
        });
      });

      it('an invalid flag value is reported against the flags', () => {
        expect(configErrorOf(() => loadConfig(undefined, { listen: 'localhost' }))).to.deep.equal({
          file: '(flags)',
          errors: ['listen: must be HOST:PORT'],
        });
      });

      it('the message lists every error under the file name', () => {
        const file = configFile('logLevel: loud\ncolour: blue\n');
        expect(() => loadConfig(file)).to.throw(
          ConfigError,
          `${file}: invalid configuration:\n  - colour: unknown key\n  - logLevel: must be one of fatal, error, warn, info, debug, trace, silent`,
        );
      });
    });
  });

  describe('validateConfigDocument', () => {
    const cases: { name: string; doc: unknown; want: readonly string[] }[] = [
      { name: 'an empty document', doc: null, want: [] },
      { name: 'an empty mapping', doc: {}, want: [] },
      {
        name: 'every key set validly',
        doc: {
          listen: '[::]:8888',
          healthListen: '',
          bodyLimit: 1,
          logLevel: 'silent',
          cannotDecide: 'allow',
          tls: { certFile: 'a', keyFile: 'b', clientCAFile: 'c' },
          drivers: {
            default: { clone: 'any', restore: 'source' },
            'x.example.com': { clone: ['topology.kubernetes.io/zone', 'example.com/rack'] },
            '*.example.com': { restore: 'any' },
          },
        },
        want: [],
      },
      { name: 'a list', doc: [], want: ['(top level): must be a mapping of keys'] },
      {
        name: 'a driver entry that is not a mapping',
        doc: { drivers: { 'x.example.com': 'any' } },
        want: ['drivers["x.example.com"]: must be object'],
      },
      {
        name: 'a scope that is neither a keyword nor a list',
        doc: { drivers: { 'x.example.com': { clone: 'zonal', restore: 3 } } },
        want: [
          'drivers["x.example.com"].clone: must be "source", "any" or a list of label keys',
          'drivers["x.example.com"].restore: must be "source", "any" or a list of label keys',
        ],
      },
      {
        name: 'a scope list with a non-string item',
        doc: { drivers: { 'x.example.com': { restore: ['topology.kubernetes.io/region', 7] } } },
        want: ['drivers["x.example.com"].restore: must be "source", "any" or a list of label keys'],
      },
      {
        name: 'invalid label keys in a scope list, each reported',
        doc: { drivers: { default: { clone: ['-bad', 'UPPER.example.com/x'], restore: ['ok/key', ''] } } },
        want: [
          "drivers.default.clone[0]: invalid label key \"-bad\": name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
          'drivers.default.clone[1]: invalid label key "UPPER.example.com/x": prefix must be a DNS-1123 subdomain',
          'drivers.default.restore[1]: invalid label key "": name part must be non-empty',
        ],
      },
      {
        name: 'driver names: provisioners with a prefix (in-tree and external provisioners)',
        doc: { drivers: { 'kubernetes.io/aws-ebs': { restore: 'any' }, 'rancher.io/local-path': { clone: 'source' } } },
        want: [],
      },
      {
        name: 'errors under a provisioner name with a "/" keep the name whole',
        doc: { drivers: { 'kubernetes.io/aws-ebs': { restore: ['Bad Key'], snapshot: 'any' } } },
        want: [
          'drivers["kubernetes.io/aws-ebs"].snapshot: unknown key',
          "drivers[\"kubernetes.io/aws-ebs\"].restore[0]: invalid label key \"Bad Key\": name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
        ],
      },
      {
        name: 'driver names: at most one "/"',
        doc: { drivers: { 'a/b/c': { clone: 'any' }, '/x': { clone: 'any' } } },
        want: [
          'drivers["a/b/c"]: not a driver name, "*.suffix" pattern or "default"',
          'drivers["/x"]: not a driver name, "*.suffix" pattern or "default"',
        ],
      },
      {
        name: 'driver names: patterns need a suffix after "*."',
        doc: { drivers: { '*': { clone: 'any' }, '*.': { clone: 'any' }, 'a.*.b': { clone: 'any' } } },
        want: [
          'drivers["*"]: not a driver name, "*.suffix" pattern or "default"',
          'drivers["*."]: not a driver name, "*.suffix" pattern or "default"',
          'drivers["a.*.b"]: not a driver name, "*.suffix" pattern or "default"',
        ],
      },
      {
        name: 'listen addresses serve would refuse to bind',
        doc: { listen: '127.0.0.1:70000', healthListen: '[10.0.0.1]:8080' },
        want: [
          'listen: invalid listen address "127.0.0.1:70000": want HOST:PORT, [IPv6]:PORT or :PORT',
          'healthListen: invalid listen address "[10.0.0.1]:8080": "10.0.0.1" is not an IPv6 address',
        ],
      },
      {
        name: 'listen addresses at the edges of what binds',
        doc: { listen: ':65535', healthListen: '[::1]:0' },
        want: [],
      },
      {
        name: 'listen addresses',
        doc: { listen: '127.0.0.1', healthListen: 'host:port' },
        want: ['listen: must be HOST:PORT', 'healthListen: must be HOST:PORT, or "" to serve the probes on listen'],
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => expect(validateConfigDocument(tc.doc)).to.deep.equal(tc.want));
    }
  });

  describe('driverScopes', () => {
    const drivers: Readonly<Record<string, DriverEntry>> = {
      default: { clone: 'source', restore: [REGION] },
      'csi.example.com': { clone: 'any', restore: 'any' },
      '*.example.com': { clone: ['example.com/rack'], restore: ['example.com/rack'] },
      '*.fast.example.com': { clone: 'any' },
      'only-restore.io': { restore: 'any' },
    };
    const fallback: DriverScopes = { clone: 'source', restore: [REGION] };
    const cases: { name: string; provisioner: string; want: DriverScopes }[] = [
      {
        name: 'an exact name wins over a pattern that also matches',
        provisioner: 'csi.example.com',
        want: { clone: 'any', restore: 'any' },
      },
      {
        name: 'a pattern matches a longer name',
        provisioner: 'rbd.example.com',
        want: { clone: ['example.com/rack'], restore: ['example.com/rack'] },
      },
      {
        name: 'the longest matching pattern wins; the field it omits comes from default, not the shorter pattern',
        provisioner: 'ssd.fast.example.com',
        want: { clone: 'any', restore: [REGION] },
      },
      { name: 'a pattern does not match its bare suffix', provisioner: 'example.com', want: fallback },
      { name: 'a pattern matches whole labels only', provisioner: 'notexample.com', want: fallback },
      {
        name: 'an entry with only restore takes clone from default',
        provisioner: 'only-restore.io',
        want: { clone: 'source', restore: 'any' },
      },
      { name: 'an unlisted provisioner takes default', provisioner: 'ebs.csi.aws.com', want: fallback },
      { name: 'an empty provisioner takes default', provisioner: '', want: fallback },
      { name: 'inherited object keys are not entries', provisioner: 'constructor', want: fallback },
    ];
    for (const tc of cases) {
      it(tc.name, () => expect(driverScopes(drivers, tc.provisioner)).to.deep.equal(tc.want));
    }

    it('without a default entry, both scopes are "source"', () => {
      expect(driverScopes({ 'a.io': { clone: 'any' } }, 'a.io')).to.deep.equal({ clone: 'any', restore: 'source' });
    });

    describe("built-in presets (the core issue's list)", () => {
      const builtin = loadConfig().drivers;
      const presets: { provisioner: string; want: DriverScopes }[] = [
        { provisioner: 'ebs.csi.aws.com', want: { clone: 'source', restore: [REGION] } },
        { provisioner: 'pd.csi.storage.gke.io', want: { clone: 'source', restore: 'any' } },
        { provisioner: 'disk.csi.azure.com', want: { clone: 'source', restore: [REGION] } },
        { provisioner: 'rbd.csi.ceph.com', want: { clone: 'any', restore: 'any' } },
        { provisioner: 'cephfs.csi.ceph.com', want: { clone: 'any', restore: 'any' } },
        { provisioner: 'rook-ceph.rbd.csi.ceph.com', want: { clone: 'any', restore: 'any' } },
        { provisioner: 'rook-ceph.cephfs.csi.ceph.com', want: { clone: 'any', restore: 'any' } },
        { provisioner: 'driver.longhorn.io', want: { clone: 'any', restore: 'any' } },
        { provisioner: 'pxd.portworx.com', want: { clone: 'any', restore: 'any' } },
        { provisioner: 'topolvm.io', want: { clone: 'source', restore: 'source' } },
        { provisioner: 'topolvm.cybozu.com', want: { clone: 'source', restore: 'source' } },
        { provisioner: 'zfs.csi.openebs.io', want: { clone: 'source', restore: 'source' } },
        { provisioner: 'hostpath.csi.k8s.io', want: { clone: 'source', restore: 'source' } },
        { provisioner: 'csi.unknown.example.com', want: { clone: 'source', restore: 'source' } },
      ];
      for (const tc of presets) {
        it(tc.provisioner, () => expect(driverScopes(builtin, tc.provisioner)).to.deep.equal(tc.want));
      }
    });

    describe('a config file over the presets', () => {
      const cases: { name: string; file: string; provisioner: string; want: DriverScopes }[] = [
        {
          name: 'a user entry for a preset changes only the field it sets',
          file: 'drivers:\n  ebs.csi.aws.com:\n    clone: any\n',
          provisioner: 'ebs.csi.aws.com',
          want: { clone: 'any', restore: [REGION] },
        },
        {
          name: 'a new entry with only clone takes restore from the (user-merged) default',
          file: 'drivers:\n  default:\n    restore: any\n  csi.example.com:\n    clone: [example.com/rack]\n',
          provisioner: 'csi.example.com',
          want: { clone: ['example.com/rack'], restore: 'any' },
        },
        {
          name: 'an in-tree provisioner name can be configured',
          file: 'drivers:\n  kubernetes.io/aws-ebs:\n    restore: [topology.kubernetes.io/region]\n',
          provisioner: 'kubernetes.io/aws-ebs',
          want: { clone: 'source', restore: [REGION] },
        },
        {
          name: 'a user exact entry wins over a built-in pattern',
          file: 'drivers:\n  rook-ceph.rbd.csi.ceph.com:\n    clone: source\n',
          provisioner: 'rook-ceph.rbd.csi.ceph.com',
          want: { clone: 'source', restore: 'source' },
        },
        {
          name: 'a user pattern longer than a built-in one wins',
          file: 'drivers:\n  "*.east.rbd.csi.ceph.com":\n    restore: source\n',
          provisioner: 'ceph.east.rbd.csi.ceph.com',
          want: { clone: 'source', restore: 'source' },
        },
      ];
      for (const tc of cases) {
        it(tc.name, () => {
          expect(driverScopes(loadConfig(configFile(tc.file)).drivers, tc.provisioner)).to.deep.equal(tc.want);
        });
      }
    });
  });
});
