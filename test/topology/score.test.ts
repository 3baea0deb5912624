import { expect } from 'chai';
import {
  inReq,
  makeClass,
  makeContent,
  makeNode,
  makePod,
  makePV,
  makePVC,
  makeSnapshot,
  REGION,
  ZONE,
} from '../support/builders.js';
import { type EngineCase, scores } from '../support/engine.js';

interface Case extends EngineCase {
  readonly want: Record<string, number>;
}

const nodes = [
  makeNode('a1').zone('zone-a').region('r1').obj(),
  makeNode('a2').zone('zone-a').region('r1').obj(),
  makeNode('b1').zone('zone-b').region('r1').obj(),
  makeNode('c1').zone('zone-c').region('r2').obj(),
];
const wffc = makeClass('wffc').obj();

describe('prioritize: closeness to the sources', () => {
  const cases: Case[] = [
    {
      name: 'zonal source with region: same zone 6, same region 3, elsewhere 0',
      objects: [
        makePV('src').term(inReq(ZONE, 'zone-a'), inReq(REGION, 'r1')).obj(),
        makePVC('db/src').boundTo('src').obj(),
        wffc,
        makePVC('db/copy').class('wffc').cloneOf('src').obj(),
      ],
      pod: makePod('db/p').claim('copy').obj(),
      nodes,
      want: { a1: 6, a2: 6, b1: 3, c1: 0 },
    },
    {
      name: 'node-local source: same node 10',
      objects: [
        makePV('src').onNode('a2').obj(),
        makePVC('db/src').boundTo('src').obj(),
        wffc,
        makePVC('db/copy').class('wffc').cloneOf('src').obj(),
      ],
      pod: makePod('db/p').claim('copy').obj(),
      nodes,
      want: { a1: 0, a2: 10, b1: 0, c1: 0 },
    },
    {
      name: 'managed-by node known in the state: same node 10, same zone 6, same region 3',
      objects: [
        wffc,
        makePVC('db/r').class('wffc').restoreOf('snap').obj(),
        makeSnapshot('db/snap').boundTo('c').obj(),
        makeContent('c').managedBy('a1').obj(),
      ],
      pod: makePod('db/p').claim('r').obj(),
      nodes,
      want: { a1: 10, a2: 6, b1: 3, c1: 0 },
    },
    {
      name: 'scope any still scores by closeness (scope decides fit, closeness preference)',
      objects: [
        makePV('src').zone('zone-b').obj(),
        makePVC('db/src').boundTo('src').obj(),
        makeClass('rbd').driver('rbd.csi.ceph.com').obj(),
        makePVC('db/copy').class('rbd').cloneOf('src').obj(),
      ],
      pod: makePod('db/p').claim('copy').obj(),
      nodes,
      want: { a1: 0, a2: 0, b1: 6, c1: 0 },
    },
    {
      name: 'two claims: mean of closeness, rounded (10 and 0 → 5; 6 and 0 → 3)',
      objects: [
        makePV('local').onNode('a1').obj(),
        makePVC('db/s1').boundTo('local').obj(),
        makePV('zonal').zone('zone-b').obj(),
        makePVC('db/s2').boundTo('zonal').obj(),
        wffc,
        makePVC('db/c1').class('wffc').cloneOf('s1').obj(),
        makePVC('db/c2').class('wffc').cloneOf('s2').obj(),
      ],
      pod: makePod('db/p').claim('c1').claim('c2').obj(),
      nodes,
      want: { a1: 5, a2: 0, b1: 3, c1: 0 },
    },
    {
      name: 'bound and Immediate claims do not score',
      objects: [
        makePV('pv').zone('zone-a').obj(),
        makePVC('db/data').boundTo('pv').obj(),
        makeClass('imm').immediate().obj(),
        makePVC('db/src').boundTo('pv').obj(),
        makePVC('db/copy').class('imm').cloneOf('src').obj(),
      ],
      pod: makePod('db/p').claim('data').claim('copy').obj(),
      nodes,
      want: { a1: 0, a2: 0, b1: 0, c1: 0 },
    },
    {
      name: 'source location unknown: all 0',
      objects: [
        makePV('net').obj(),
        makePVC('db/src').boundTo('net').obj(),
        wffc,
        makePVC('db/copy').class('wffc').cloneOf('src').obj(),
      ],
      pod: makePod('db/p').claim('copy').obj(),
      nodes,
      want: { a1: 0, a2: 0, b1: 0, c1: 0 },
    },
    {
      name: 'legacy beta zone label on the source counts as its zone',
      objects: [
        makePV('src').label('failure-domain.beta.kubernetes.io/zone', 'zone-c').obj(),
        makePVC('db/src').boundTo('src').obj(),
        wffc,
        makePVC('db/copy').class('wffc').cloneOf('src').obj(),
      ],
      pod: makePod('db/p').claim('copy').obj(),
      nodes,
      want: { a1: 0, a2: 0, b1: 0, c1: 6 },
    },
  ];
  for (const tc of cases) it(tc.name, () => expect(scores(tc)).to.deep.equal(tc.want));
});
