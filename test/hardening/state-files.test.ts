/**
 * State files of the wrong shape fail the load with the file, the line and the cause — at start,
 * before `serve` listens — instead of loading nothing from them without a word. (Syntax errors,
 * unreadable paths and documents that are not objects are covered in test/cluster/static.test.ts
 * and test/cli/serve.test.ts.)
 */
import { expect } from 'chai';
import { parseStateText, StateError } from '../../src/cluster/static.js';
import { runCli, scratch } from '../cli/support/cli.js';

function errorOf(file: string, text: string): string {
  try {
    parseStateText(file, text);
  } catch (err) {
    if (err instanceof StateError) return err.message;
    throw err;
  }
  return '(loaded)';
}

describe('state files of the wrong shape', () => {
  const cases: { name: string; file: string; text: string; want: string }[] = [
    {
      name: 'a List whose items is a string',
      file: 'a.yaml',
      text: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\napiVersion: v1\nkind: List\nitems: nodes\n',
      want: 'a.yaml:5: List.items must be a list, found string',
    },
    {
      name: 'a typed list whose items is an object',
      file: 'b.json',
      text: '{"kind":"PersistentVolumeList","items":{"metadata":{"name":"pv"}}}',
      want: 'b.json:1: PersistentVolumeList.items must be a list, found object',
    },
    {
      name: 'a List with a scalar among its items',
      file: 'c.yaml',
      text: 'kind: List\nitems:\n- kind: Node\n  metadata: {name: n1}\n- 42\n',
      want: 'c.yaml:1: List.items[1] must be an object, found number',
    },
    {
      name: 'a List with a list among its items',
      file: 'd.yaml',
      text: '# dump\nkind: v1.List\nitems:\n- [a, b]\n',
      want: 'd.yaml:2: v1.List.items[0] must be an object, found a list',
    },
    {
      name: 'a List with null items loads nothing, quietly',
      file: 'e.yaml',
      text: 'kind: List\nitems: null\n',
      want: '(loaded)',
    },
  ];
  for (const tc of cases) it(tc.name, () => expect(errorOf(tc.file, tc.text)).to.equal(tc.want));

  it('serve refuses such a file before listening, exit 1, naming file, line and cause', async function () {
    this.timeout(20_000);
    const files = scratch();
    try {
      const state = files.file('state.yaml', 'kind: List\nitems: {}\n');
      const r = await runCli(['serve', '--state', state, '--listen', '127.0.0.1:0']);
      expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).to.deep.equal({
        status: 1,
        stderr: `source-affinity: ${state}:1: List.items must be a list, found object\n`,
        stdout: '',
      });
    } finally {
      files.cleanup();
    }
  });
});
