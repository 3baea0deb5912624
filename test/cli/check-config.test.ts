/**
 * `source-affinity check-config FILE` in a child process: exit status 0 and "ok" for a usable file,
 * 1 with every error and its path for an unusable one.
 */
import { expect } from 'chai';
import { killAll, runCli, scratch } from './support/cli.js';

describe('check-config (child process)', () => {
  const files = scratch();
  after(async () => {
    await killAll();
    files.cleanup();
  });

  const valid = files.file(
    'valid.yaml',
    [
      'listen: 0.0.0.0:8888',
      'bodyLimit: 128Mi',
      'drivers:',
      '  ebs.csi.aws.com:',
      '    restore: any',
      '  "*.example.com":',
      '    clone: [topology.kubernetes.io/zone]',
      '',
    ].join('\n'),
  );
  const empty = files.file('empty.yaml', '');
  const invalid = files.file(
    'invalid.yaml',
    [
      'listen: 8888',
      'logLevel: chatty',
      'drivers:',
      '  ebs.csi.aws.com:',
      '    restore: regional',
      '  topolvm.io:',
      '    clone: [topology.topolvm.io/node, "not a key"]',
      '    snapshot: source',
      '',
    ].join('\n'),
  );
  const syntax = files.file('syntax.yaml', 'listen: 127.0.0.1:8888\ndrivers: [a\n');
  const missing = `${files.dir}/missing.yaml`;

  interface Case {
    readonly name: string;
    readonly args: readonly string[];
    readonly want: { readonly status: number; readonly stdout: string; readonly stderr: string };
  }
  const cases: Case[] = [
    {
      name: 'the shipped defaults are valid',
      args: ['config/default.yaml'],
      want: { status: 0, stdout: 'config/default.yaml: ok\n', stderr: '' },
    },
    { name: 'a valid file', args: [valid], want: { status: 0, stdout: `${valid}: ok\n`, stderr: '' } },
    {
      name: 'an empty file keeps the defaults',
      args: [empty],
      want: { status: 0, stdout: `${empty}: ok\n`, stderr: '' },
    },
    {
      name: 'every error is reported at once, each with its path',
      args: [invalid],
      want: {
        status: 1,
        stdout: '',
        stderr: [
          `source-affinity: ${invalid}: invalid configuration:`,
          '  - listen: must be string',
          '  - logLevel: must be one of fatal, error, warn, info, debug, trace, silent',
          '  - drivers["ebs.csi.aws.com"].restore: must be "source", "any" or a list of label keys',
          '  - drivers["topolvm.io"].snapshot: unknown key',
          `  - drivers["topolvm.io"].clone[1]: invalid label key "not a key": name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`,
          '',
        ].join('\n'),
      },
    },
    {
      name: 'an unreadable file',
      args: [missing],
      want: {
        status: 1,
        stdout: '',
        stderr: `source-affinity: ${missing}: invalid configuration:\n  - cannot read file: ENOENT: no such file or directory, open '${missing}'\n`,
      },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const r = await runCli(['check-config', ...tc.args]);
      expect(r).to.deep.equal(tc.want);
    });
  }

  it('a YAML syntax error gives line and column', async () => {
    const r = await runCli(['check-config', syntax]);
    // The parser's own words follow "column 1: "; the lines up to there are this project's.
    const lines = r.stderr.split('\n').map((l) => l.replace(/(column 1: ).*$/, '$1'));
    expect({ status: r.status, stdout: r.stdout, lines }).to.deep.equal({
      status: 1,
      stdout: '',
      lines: [`source-affinity: ${syntax}: invalid configuration:`, '  - line 3, column 1: ', ''],
    });
  });

  it('more than one file is a usage error', async () => {
    const r = await runCli(['check-config', valid, empty]);
    expect({ status: r.status, firstLine: r.stderr.split('\n')[0], stdout: r.stdout }).to.deep.equal({
      status: 2,
      firstLine: 'source-affinity: check-config needs exactly one FILE',
      stdout: '',
    });
  });
});
