import { expect } from 'chai';
import { makeNode, makePVC } from '../support/builders.js';
import { eventually, type Harness, type LogLine, startHarness } from './harness.js';

/** Info-and-above lines since `from`, reduced to what a reader of the logs sees first. */
function infoLines(h: Harness, from: number): { level: string; msg: string; resource: unknown }[] {
  const names: Record<number, string> = { 30: 'info', 40: 'warn', 50: 'error' };
  return h.logs
    .slice(from)
    .filter((l: LogLine) => l.level >= 30)
    .map((l) => ({ level: names[l.level] ?? String(l.level), msg: l.msg, resource: l.resource }));
}

describe('live store logging', () => {
  const cases: { name: string; act: (h: Harness) => Promise<void>; want: ReturnType<typeof infoLines> }[] = [
    {
      name: 'watch events log nothing at info, however many',
      act: async (h) => {
        for (let i = 0; i < 100; i++) h.api.create(makePVC(`db/c-${i}`).class('wffc').obj());
        for (let i = 0; i < 100; i++) h.api.delete('PersistentVolumeClaim', 'db', `c-${i}`);
        h.api.create(makePVC('db/last').class('wffc').obj());
        await eventually(() => h.store.getPersistentVolumeClaim('db', 'last') !== undefined);
      },
      want: [],
    },
    {
      name: 'a failure logs one warning with the reason, then one line for the restart',
      act: async (h) => {
        h.api.inject({ resource: 'nodes', verb: 'watch', action: { status: 500 }, times: 1 });
        h.api.dropWatches({ resource: 'nodes' });
        await eventually(() => h.store.syncState().find((s) => s.resource === 'nodes')?.restarts === 1);
        await eventually(() => h.store.syncState().find((s) => s.resource === 'nodes')?.watching === true);
      },
      want: [
        { level: 'warn', msg: 'informer failed', resource: 'nodes' },
        { level: 'info', msg: 'informer restarting', resource: 'nodes' },
      ],
    },
    {
      name: '410 Gone logs the relist as one sync line',
      act: async (h) => {
        h.api.update(makeNode('n1').zone('zone-b').obj());
        await eventually(() => h.store.getNode('n1')?.metadata?.labels?.['topology.kubernetes.io/zone'] === 'zone-b');
        h.api.sendGone('nodes');
        await eventually(() => h.logs.some((l) => l.msg === 'cache synced' && l.relist === true));
      },
      want: [{ level: 'info', msg: 'cache synced', resource: 'nodes' }],
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const h = await startHarness({ objects: [makeNode('n1').zone('zone-a').obj()] });
      try {
        const from = h.logs.length;
        await tc.act(h);
        expect(infoLines(h, from)).to.deep.equal(tc.want);
      } finally {
        await h.close();
      }
    });
  }
});
