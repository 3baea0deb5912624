import { expect } from 'chai';
import { percentile, summarize } from '../../bench/stats.js';
import { checkFilterReply, checkPrioritizeReply, type FilterExpectation } from '../../bench/validate.js';

const namesWant: FilterExpectation = { mode: 'names', candidates: ['n1', 'n2', 'n3'], passing: new Set(['n1']) };
const n1 = { metadata: { name: 'n1', labels: { zone: 'a' } } };
const n2 = { metadata: { name: 'n2' } };
const nodesWant: FilterExpectation = {
  mode: 'nodes',
  candidates: ['n1', 'n2'],
  passing: new Set(['n1']),
  originals: new Map([
    ['n1', JSON.stringify(n1)],
    ['n2', JSON.stringify(n2)],
  ]),
};

describe('bench reply validation', () => {
  const filterCases: { name: string; want: FilterExpectation; reply: unknown; problems: number }[] = [
    {
      name: 'a correct NodeNames reply',
      want: namesWant,
      reply: { NodeNames: ['n1'], FailedAndUnresolvableNodes: { n2: 'x', n3: 'y' }, Error: '' },
      problems: 0,
    },
    {
      name: 'camelCase keys, as Go accepts them',
      want: namesWant,
      reply: { nodeNames: ['n1'], failedNodes: { n2: 'x', n3: 'y' } },
      problems: 0,
    },
    {
      name: 'a rejected node without a reason',
      want: namesWant,
      reply: { NodeNames: ['n1'], FailedAndUnresolvableNodes: { n2: 'x' } },
      problems: 1,
    },
    {
      name: 'a wrong passing set (and so a rejected node without reason)',
      want: namesWant,
      reply: { NodeNames: ['n1', 'n2'], FailedNodes: { n3: 'x' } },
      problems: 2,
    },
    {
      name: 'a node that was not a candidate',
      want: namesWant,
      reply: { NodeNames: ['n1'], FailedNodes: { n2: 'x', n3: 'y', n9: 'z' } },
      problems: 1,
    },
    {
      name: 'a reply carrying Error',
      want: namesWant,
      reply: { NodeNames: ['n1'], FailedNodes: { n2: 'x', n3: 'y' }, Error: 'boom' },
      problems: 1,
    },
    { name: 'NodeNames missing', want: namesWant, reply: {}, problems: 1 },
    {
      name: 'a correct Nodes reply',
      want: nodesWant,
      reply: { Nodes: { metadata: {}, items: [n1] }, FailedAndUnresolvableNodes: { n2: 'x' } },
      problems: 0,
    },
    {
      name: 'a Nodes reply that changed the node',
      want: nodesWant,
      reply: {
        Nodes: { metadata: {}, items: [{ metadata: { name: 'n1' } }] },
        FailedAndUnresolvableNodes: { n2: 'x' },
      },
      problems: 1,
    },
  ];
  for (const tc of filterCases) {
    it(`filter: ${tc.name}`, () => {
      expect(checkFilterReply(Buffer.from(JSON.stringify(tc.reply)), tc.want)).to.have.length(tc.problems);
    });
  }

  it('filter: a reply that is not JSON', () => {
    expect(checkFilterReply(Buffer.from('{"NodeNames":['), namesWant)).to.have.length(1);
  });

  const prioritizeCases: { name: string; reply: unknown; allZero: boolean; problems: number }[] = [
    {
      name: 'integer scores for every candidate',
      reply: [
        { Host: 'n1', Score: 10 },
        { Host: 'n2', Score: 0 },
      ],
      allZero: false,
      problems: 0,
    },
    {
      name: 'a fractional score',
      reply: [
        { Host: 'n1', Score: 2.5 },
        { Host: 'n2', Score: 0 },
      ],
      allZero: false,
      problems: 1,
    },
    {
      name: 'a score above 10',
      reply: [
        { Host: 'n1', Score: 11 },
        { Host: 'n2', Score: 0 },
      ],
      allZero: false,
      problems: 1,
    },
    { name: 'a missing host', reply: [{ Host: 'n1', Score: 1 }], allZero: false, problems: 1 },
    {
      name: 'a non-zero score on the fast path',
      reply: [
        { Host: 'n1', Score: 1 },
        { Host: 'n2', Score: 0 },
      ],
      allZero: true,
      problems: 1,
    },
  ];
  for (const tc of prioritizeCases) {
    it(`prioritize: ${tc.name}`, () => {
      expect(checkPrioritizeReply(Buffer.from(JSON.stringify(tc.reply)), ['n1', 'n2'], tc.allZero)).to.have.length(
        tc.problems,
      );
    });
  }
});

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([50, 90, 99, 100].map((p) => percentile(sorted, p))).to.deep.equal([5, 9, 10, 10]);
  });
  it('summarizes unsorted samples', () => {
    expect(summarize([3, 1, 2])).to.deep.equal({ count: 3, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
  });
});
