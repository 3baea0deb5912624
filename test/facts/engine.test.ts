import { expect } from 'chai';
import {
  HOSTNAME,
  inReq,
  makeClass,
  makeContent,
  makeGrant,
  makeNode,
  makePod,
  makePV,
  makePVC,
  makeSnapshot,
  REGION,
  req,
  ZONE,
} from '../support/builders.js';
import { type EngineCase, factsFor, verdicts, type Want } from '../support/engine.js';

interface Case extends EngineCase {
  readonly want: Record<string, Want>;
}

const a1 = makeNode('a1').zone('zone-a').region('r1').obj();
const a2 = makeNode('a2').zone('zone-a').region('r1').obj();
const b1 = makeNode('b1').zone('zone-b').region('r1').obj();
const c1 = makeNode('c1').zone('zone-c').region('r2').obj();
const nodes = [a1, a2, b1, c1];

const wffc = makeClass('wffc').obj();
/** A bound, zone-a source claim `db/src` on pv `src-pv` (CSI handle h-1). */
const zonalSource = [
  makePV('src-pv').zone('zone-a').csi('example.csi.io', 'h-1').boundTo('db/src').obj(),
  makePVC('db/src').class('wffc').boundTo('src-pv').obj(),
];

function table(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const tc of cases) it(tc.name, () => expect(verdicts(tc)).to.deep.equal(tc.want));
  });
}

table('bound claims: PV nodeAffinity and legacy zone labels', [
  {
    name: 'zonal PV admits only nodes in its zone',
    objects: [makePV('pv').zone('zone-a').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['VolumeNodeAffinity'], c1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'PV without nodeAffinity or labels imposes nothing',
    objects: [makePV('pv').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'claim bound to a PV that does not exist fits no node',
    objects: [makePVC('db/data').boundTo('gone').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: {
      a1: ['BoundVolumeNotFound'],
      a2: ['BoundVolumeNotFound'],
      b1: ['BoundVolumeNotFound'],
      c1: ['BoundVolumeNotFound'],
    },
  },
  {
    name: 'terms are ORed',
    objects: [makePV('pv').zone('zone-a').term(inReq(ZONE, 'zone-c')).obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['VolumeNodeAffinity'], c1: 'fits' },
  },
  {
    name: 'expressions within a term are ANDed',
    objects: [
      makePV('pv').term(inReq(ZONE, 'zone-a'), inReq(HOSTNAME, 'a2')).obj(),
      makePVC('db/data').boundTo('pv').obj(),
    ],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: ['VolumeNodeAffinity'], a2: 'fits', b1: ['VolumeNodeAffinity'], c1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'a term with an invalid requirement never matches, other terms still do',
    objects: [
      makePV('pv')
        .term(req(ZONE, 'Bogus', 'zone-b'))
        .term(inReq(ZONE, 'zone-a'))
        .obj(),
      makePVC('db/data').boundTo('pv').obj(),
    ],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['VolumeNodeAffinity'], c1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'only invalid terms: no node fits',
    objects: [makePV('pv').term(req(ZONE, 'In')).obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [a1, b1],
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'required with zero terms matches no node',
    objects: [makePV('pv').noTerms().obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [a1, b1],
    want: { a1: ['VolumeNodeAffinity'], b1: ['VolumeNodeAffinity'] },
  },
  {
    name: 'legacy GA zone label: matching zone fits, a node without any topology label is not constrained',
    objects: [makePV('pv').label(ZONE, 'zone-a').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [a1, b1, makeNode('bare').noLabels().obj()],
    want: { a1: 'fits', b1: ['VolumeZoneLabels'], bare: 'fits' },
  },
  {
    name: 'legacy multi-zone label value joined by __',
    objects: [makePV('pv').label(ZONE, 'zone-a__zone-b').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: ['VolumeZoneLabels'] },
  },
  {
    name: 'legacy label with an empty part is ignored',
    objects: [makePV('pv').label(ZONE, 'zone-a__').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'beta PV zone label is satisfied by the node GA label',
    objects: [
      makePV('pv').label('failure-domain.beta.kubernetes.io/zone', 'zone-a').obj(),
      makePVC('db/data').boundTo('pv').obj(),
    ],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['VolumeZoneLabels'] },
  },
  {
    name: 'GA PV zone label is not satisfied by a node with only the beta label',
    objects: [makePV('pv').label(ZONE, 'zone-a').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [makeNode('beta-a').noLabels().label('failure-domain.beta.kubernetes.io/zone', 'zone-a').obj()],
    want: { 'beta-a': ['VolumeZoneLabels'] },
  },
  {
    name: 'legacy region label constrains independently of zone',
    objects: [makePV('pv').label(REGION, 'r1').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: ['VolumeZoneLabels'] },
  },
  {
    name: 'nodeAffinity and zone labels both apply',
    objects: [makePV('pv').zone('zone-a', 'zone-b').label(REGION, 'r1').obj(), makePVC('db/data').boundTo('pv').obj()],
    pod: makePod('db/p').claim('data').obj(),
    nodes: [a1, b1, c1, makeNode('c-r1').zone('zone-c').region('r1').obj()],
    want: { a1: 'fits', b1: 'fits', c1: ['VolumeNodeAffinity', 'VolumeZoneLabels'], 'c-r1': ['VolumeNodeAffinity'] },
  },
  {
    name: 'a claim the pod uses that does not exist fits no node',
    objects: [],
    pod: makePod('db/p').claim('nope').obj(),
    nodes: [a1],
    want: { a1: ['ClaimNotFound'] },
  },
  {
    name: 'pod without claims fits everywhere',
    objects: [],
    pod: makePod('db/p').emptyDir().obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
]);

table('delayed-binding claims: class, allowedTopologies, selected node', [
  {
    name: 'allowedTopologies restricts nodes (terms ORed)',
    objects: [
      makeClass('zonal').allow([ZONE, 'zone-a']).allow([ZONE, 'zone-c']).obj(),
      makePVC('db/new').class('zonal').obj(),
    ],
    pod: makePod('db/p').claim('new').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['AllowedTopologies'], c1: 'fits' },
  },
  {
    name: 'allowedTopologies expressions within a term are ANDed',
    objects: [
      makeClass('zonal').allow([ZONE, 'zone-a', 'zone-b'], [HOSTNAME, 'a1', 'b1']).obj(),
      makePVC('db/new').class('zonal').obj(),
    ],
    pod: makePod('db/p').claim('new').obj(),
    nodes,
    want: { a1: 'fits', a2: ['AllowedTopologies'], b1: 'fits', c1: ['AllowedTopologies'] },
  },
  {
    name: 'allowedTopologies with an empty term matches nothing',
    objects: [makeClass('zonal').allow().obj(), makePVC('db/new').class('zonal').obj()],
    pod: makePod('db/p').claim('new').obj(),
    nodes: [a1],
    want: { a1: ['AllowedTopologies'] },
  },
  {
    name: 'unbound claim with no allowedTopologies and no source fits everywhere',
    objects: [wffc, makePVC('db/new').class('wffc').obj()],
    pod: makePod('db/p').claim('new').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'storage class that does not exist fits no node',
    objects: [makePVC('db/new').class('missing').obj()],
    pod: makePod('db/p').claim('new').obj(),
    nodes: [a1],
    want: { a1: ['StorageClassNotFound'] },
  },
  {
    name: 'beta storage-class annotation wins over spec.storageClassName',
    objects: [
      makeClass('zonal').allow([ZONE, 'zone-b']).obj(),
      makeClass('open').obj(),
      makePVC('db/new').class('open').betaClass('zonal').obj(),
    ],
    pod: makePod('db/p').claim('new').obj(),
    nodes: [a1, b1],
    want: { a1: ['AllowedTopologies'], b1: 'fits' },
  },
  {
    name: 'Immediate binding class is not constrained even for a clone',
    objects: [...zonalSource, makeClass('imm').immediate().obj(), makePVC('db/copy').class('imm').cloneOf('src').obj()],
    pod: makePod('db/p').claim('copy').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'claim without a storage class name is not constrained',
    objects: [...zonalSource, makePVC('db/copy').cloneOf('src').obj()],
    pod: makePod('db/p').claim('copy').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'selected node: only that node fits',
    objects: [...zonalSource, wffc, makePVC('db/copy').class('wffc').cloneOf('src').selectedNode('a2').obj()],
    pod: makePod('db/p').claim('copy').obj(),
    nodes,
    want: {
      a1: ['SelectedNode'],
      a2: 'fits',
      b1: ['CloneSourceTopology', 'SelectedNode'],
      c1: ['CloneSourceTopology', 'SelectedNode'],
    },
  },
  {
    name: 'selected node that cannot reach the source: no node fits',
    objects: [...zonalSource, wffc, makePVC('db/copy').class('wffc').cloneOf('src').selectedNode('b1').obj()],
    pod: makePod('db/p').claim('copy').obj(),
    nodes,
    want: {
      a1: ['SelectedNodeCannotProvision'],
      a2: ['SelectedNodeCannotProvision'],
      b1: ['SelectedNodeCannotProvision'],
      c1: ['SelectedNodeCannotProvision'],
    },
  },
]);

const clonePod = makePod('db/p').claim('copy').obj();
table('clone source topology', [
  {
    name: 'zonal source admits only nodes in its zone',
    objects: [...zonalSource, wffc, makePVC('db/copy').class('wffc').cloneOf('src').obj()],
    pod: clonePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['CloneSourceTopology'], c1: ['CloneSourceTopology'] },
  },
  {
    name: 'node-local source admits only its node',
    objects: [
      makePV('local').onNode('a2').boundTo('db/src').obj(),
      makePVC('db/src').class('wffc').boundTo('local').obj(),
      wffc,
      makePVC('db/copy').class('wffc').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: ['CloneSourceTopology'], a2: 'fits', b1: ['CloneSourceTopology'], c1: ['CloneSourceTopology'] },
  },
  {
    name: 'source with legacy zone label only',
    objects: [
      makePV('old').label(ZONE, 'zone-b').obj(),
      makePVC('db/src').boundTo('old').obj(),
      wffc,
      makePVC('db/copy').class('wffc').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: ['CloneSourceTopology'], a2: ['CloneSourceTopology'], b1: 'fits', c1: ['CloneSourceTopology'] },
  },
  {
    name: 'source PV without nodeAffinity imposes nothing',
    objects: [
      makePV('net').obj(),
      makePVC('db/src').boundTo('net').obj(),
      wffc,
      makePVC('db/copy').class('wffc').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'clone source and allowedTopologies both apply',
    objects: [
      ...zonalSource,
      makeClass('ab').allow([HOSTNAME, 'a1', 'b1']).obj(),
      makePVC('db/copy').class('ab').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: {
      a1: 'fits',
      a2: ['AllowedTopologies'],
      b1: ['CloneSourceTopology'],
      c1: ['AllowedTopologies', 'CloneSourceTopology'],
    },
  },
  {
    name: 'source claim missing: no node fits',
    objects: [wffc, makePVC('db/copy').class('wffc').cloneOf('src').obj()],
    pod: clonePod,
    nodes: [a1],
    want: { a1: ['CloneSourceNotFound'] },
  },
  {
    name: 'source claim not bound: no node fits',
    objects: [wffc, makePVC('db/src').class('wffc').obj(), makePVC('db/copy').class('wffc').cloneOf('src').obj()],
    pod: clonePod,
    nodes: [a1],
    want: { a1: ['CloneSourceNotBound'] },
  },
  {
    name: 'source bound to a PV that does not exist: no node fits',
    objects: [wffc, makePVC('db/src').boundTo('gone').obj(), makePVC('db/copy').class('wffc').cloneOf('src').obj()],
    pod: clonePod,
    nodes: [a1],
    want: { a1: ['CloneSourceVolumeNotFound'] },
  },
  {
    name: 'dataSourceRef wins over dataSource',
    objects: [
      ...zonalSource,
      makePV('other-pv').zone('zone-c').obj(),
      makePVC('db/other').boundTo('other-pv').obj(),
      wffc,
      makePVC('db/copy')
        .class('wffc')
        .cloneOf('src')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'other' })
        .obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: ['CloneSourceTopology'], a2: ['CloneSourceTopology'], b1: ['CloneSourceTopology'], c1: 'fits' },
  },
  {
    name: 'apiGroup null counts as the core group (as kube-scheduler sends it)',
    objects: [
      ...zonalSource,
      wffc,
      makePVC('db/copy').class('wffc').dataSource({ apiGroup: null, kind: 'PersistentVolumeClaim', name: 'src' }).obj(),
    ],
    pod: clonePod,
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['CloneSourceTopology'] },
  },
  {
    name: 'a volume populator data source imposes no source constraint',
    objects: [
      wffc,
      makePVC('db/copy')
        .class('wffc')
        .dataSourceRef({ apiGroup: 'populators.example.io', kind: 'Seed', name: 'x' })
        .obj(),
    ],
    pod: clonePod,
    nodes: [a1, b1],
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'kind PersistentVolumeClaim with a non-core apiGroup is a populator',
    objects: [
      ...zonalSource,
      wffc,
      makePVC('db/copy')
        .class('wffc')
        .dataSource({ apiGroup: 'x.io', kind: 'PersistentVolumeClaim', name: 'src' })
        .obj(),
    ],
    pod: clonePod,
    nodes: [a1, b1],
    want: { a1: 'fits', b1: 'fits' },
  },
  {
    name: 'driver scope any (Ceph RBD preset): source does not constrain',
    objects: [
      ...zonalSource,
      makeClass('rbd').driver('rbd.csi.ceph.com').obj(),
      makePVC('db/copy').class('rbd').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'driver scope pattern (Rook *.rbd.csi.ceph.com preset) is any',
    objects: [
      ...zonalSource,
      makeClass('rook').driver('rook-ceph.rbd.csi.ceph.com').obj(),
      makePVC('db/copy').class('rook').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'keyed scope: only the region of the source is required',
    objects: [
      makePV('src-pv').term(inReq(ZONE, 'zone-a'), inReq(REGION, 'r1')).obj(),
      makePVC('db/src').boundTo('src-pv').obj(),
      makeClass('regional').driver('regional.csi.io').obj(),
      makePVC('db/copy').class('regional').cloneOf('src').obj(),
    ],
    pod: clonePod,
    drivers: { 'regional.csi.io': { clone: [REGION] } },
    nodes: [...nodes, makeNode('nolabel').noLabels().obj()],
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: ['CloneSourceTopology'], nolabel: ['CloneSourceTopology'] },
  },
  {
    name: 'keyed scope: a key the source says nothing about does not constrain',
    objects: [
      ...zonalSource,
      makeClass('regional').driver('regional.csi.io').obj(),
      makePVC('db/copy').class('regional').cloneOf('src').obj(),
    ],
    pod: clonePod,
    drivers: { 'regional.csi.io': { clone: [REGION] } },
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'keyed scope reads values from In requirements across terms and from labels (NotIn adds nothing)',
    objects: [
      makePV('src-pv')
        .term(inReq(ZONE, 'zone-a'))
        .term(inReq(ZONE, 'zone-c'), req(HOSTNAME, 'NotIn', 'b1'))
        .label(ZONE, 'zone-b')
        .obj(),
      makePVC('db/src').boundTo('src-pv').obj(),
      makeClass('k').driver('keyed.csi.io').obj(),
      makePVC('db/copy').class('k').cloneOf('src').obj(),
    ],
    pod: clonePod,
    drivers: { 'keyed.csi.io': { clone: [ZONE, HOSTNAME] } },
    nodes: [...nodes, makeNode('d1').zone('zone-d').obj()],
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits', d1: ['CloneSourceTopology'] },
  },
]);

table('cross-namespace sources and ReferenceGrants', [
  {
    name: 'cross-namespace clone without a grant fits no node',
    objects: [
      ...zonalSource,
      wffc,
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1, b1],
    want: { a1: ['SourceNotGranted'], b1: ['SourceNotGranted'] },
  },
  {
    name: 'grant for all claims in the source namespace allows the clone; source topology applies',
    objects: [
      ...zonalSource,
      wffc,
      makeGrant('db/g').fromClaimsIn('app').toClaims().obj(),
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['CloneSourceTopology'] },
  },
  {
    name: 'grant naming the source allows it',
    objects: [
      ...zonalSource,
      wffc,
      makeGrant('db/g').fromClaimsIn('app').toClaims('src').obj(),
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['CloneSourceTopology'] },
  },
  {
    name: 'grant naming another claim does not allow it',
    objects: [
      ...zonalSource,
      wffc,
      makeGrant('db/g').fromClaimsIn('app').toClaims('other').obj(),
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1],
    want: { a1: ['SourceNotGranted'] },
  },
  {
    name: 'grant from another namespace does not allow it',
    objects: [
      ...zonalSource,
      wffc,
      makeGrant('db/g').fromClaimsIn('web').toClaims().obj(),
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1],
    want: { a1: ['SourceNotGranted'] },
  },
  {
    name: 'grant in the claim namespace (not the source namespace) does not allow it',
    objects: [
      ...zonalSource,
      wffc,
      makeGrant('app/g').fromClaimsIn('app').toClaims().obj(),
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1],
    want: { a1: ['SourceNotGranted'] },
  },
  {
    name: 'grant to VolumeSnapshots does not allow a PVC clone',
    objects: [
      ...zonalSource,
      wffc,
      makeGrant('db/g').fromClaimsIn('app').toSnapshots().obj(),
      makePVC('app/copy')
        .class('wffc')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1],
    want: { a1: ['SourceNotGranted'] },
  },
  {
    name: 'without a grant even a scope-any driver fits no node (the provisioner cannot start)',
    objects: [
      ...zonalSource,
      makeClass('rbd').driver('rbd.csi.ceph.com').obj(),
      makePVC('app/copy')
        .class('rbd')
        .dataSourceRef({ kind: 'PersistentVolumeClaim', name: 'src', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('copy').obj(),
    nodes: [a1],
    want: { a1: ['SourceNotGranted'] },
  },
  {
    name: 'cross-namespace restore with a snapshot grant',
    objects: [
      ...zonalSource,
      wffc,
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('example.csi.io', 'h-1').obj(),
      makeGrant('db/g').fromClaimsIn('app').toSnapshots('snap').obj(),
      makePVC('app/restored')
        .class('wffc')
        .dataSourceRef({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap', namespace: 'db' })
        .obj(),
    ],
    pod: makePod('app/p').claim('restored').obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['RestoreSourceTopology'] },
  },
]);

const restorePod = makePod('db/p').claim('restored').obj();
const restoreClaim = makePVC('db/restored').class('wffc').restoreOf('snap').obj();
table('restore source topology (a) content nodeAffinity, (b) source volume, (c) managed-by node, (d) unknown', [
  {
    name: '(a) content nodeAffinity terms are ORed and matched like allowedTopologies',
    objects: [
      ...zonalSource,
      wffc,
      restoreClaim,
      makeSnapshot('db/snap').boundTo('content-1').ofClaim('src').obj(),
      makeContent('content-1')
        .fromVolume('example.csi.io', 'h-1')
        .affinityTerm([ZONE, 'zone-b'])
        .affinityTerm([ZONE, 'zone-c'])
        .obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: ['RestoreSourceTopology'], a2: ['RestoreSourceTopology'], b1: 'fits', c1: 'fits' },
  },
  {
    name: '(a) an empty content nodeAffinity falls through to the source volume',
    objects: [
      ...zonalSource,
      wffc,
      restoreClaim,
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('example.csi.io', 'h-1').emptyAffinity().obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['RestoreSourceTopology'], c1: ['RestoreSourceTopology'] },
  },
  {
    name: '(b) source volume found by CSI driver and volume handle',
    objects: [
      ...zonalSource,
      wffc,
      restoreClaim,
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('example.csi.io', 'h-1').obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['RestoreSourceTopology'], c1: ['RestoreSourceTopology'] },
  },
  {
    name: '(b) handle of another driver does not match; falls back to the snapshot source claim',
    objects: [
      ...zonalSource,
      makePV('b-pv').zone('zone-b').obj(),
      makePVC('db/b-src').boundTo('b-pv').obj(),
      wffc,
      restoreClaim,
      makeSnapshot('db/snap').boundTo('content-1').ofClaim('b-src').obj(),
      makeContent('content-1').fromVolume('other.csi.io', 'h-1').obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: ['RestoreSourceTopology'], a2: ['RestoreSourceTopology'], b1: 'fits', c1: ['RestoreSourceTopology'] },
  },
  {
    name: '(c) managed-by label names the only node',
    objects: [
      wffc,
      restoreClaim,
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('topolvm.io', 'gone').managedBy('b1').obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: ['RestoreSourceTopology'], a2: ['RestoreSourceTopology'], b1: 'fits', c1: ['RestoreSourceTopology'] },
  },
  {
    name: '(d) nothing known about the snapshot location: not constrained',
    objects: [wffc, restoreClaim, makeSnapshot('db/snap').boundTo('content-1').obj(), makeContent('content-1').obj()],
    pod: restorePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'snapshot missing: no node fits',
    objects: [wffc, restoreClaim],
    pod: restorePod,
    nodes: [a1],
    want: { a1: ['SnapshotNotFound'] },
  },
  {
    name: 'snapshot not bound to a content: no node fits',
    objects: [wffc, restoreClaim, makeSnapshot('db/snap').obj()],
    pod: restorePod,
    nodes: [a1],
    want: { a1: ['SnapshotNotBound'] },
  },
  {
    name: 'snapshot bound to a content that does not exist: no node fits',
    objects: [wffc, restoreClaim, makeSnapshot('db/snap').boundTo('gone').obj()],
    pod: restorePod,
    nodes: [a1],
    want: { a1: ['SnapshotContentNotFound'] },
  },
  {
    name: 'EBS preset: restore constrained to the source region only',
    objects: [
      makePV('ebs-pv').term(inReq(ZONE, 'zone-a'), inReq(REGION, 'r1')).csi('ebs.csi.aws.com', 'vol-1').obj(),
      makePVC('db/src').boundTo('ebs-pv').obj(),
      makeClass('gp3').driver('ebs.csi.aws.com').obj(),
      makePVC('db/restored').class('gp3').restoreOf('snap').obj(),
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('ebs.csi.aws.com', 'vol-1').obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: ['RestoreSourceTopology'] },
  },
  {
    name: 'EBS preset: clone stays in the source zone',
    objects: [
      makePV('ebs-pv').term(inReq(ZONE, 'zone-a'), inReq(REGION, 'r1')).obj(),
      makePVC('db/src').boundTo('ebs-pv').obj(),
      makeClass('gp3').driver('ebs.csi.aws.com').obj(),
      makePVC('db/copy').class('gp3').cloneOf('src').obj(),
    ],
    pod: clonePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['CloneSourceTopology'], c1: ['CloneSourceTopology'] },
  },
  {
    name: 'GCE PD preset: restore anywhere',
    objects: [
      makePV('pd').zone('zone-a').csi('pd.csi.storage.gke.io', 'd-1').obj(),
      makeClass('pd').driver('pd.csi.storage.gke.io').obj(),
      makePVC('db/restored').class('pd').restoreOf('snap').obj(),
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('pd.csi.storage.gke.io', 'd-1').obj(),
    ],
    pod: restorePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: 'fits', c1: 'fits' },
  },
  {
    name: 'user config overrides one field of a preset (GCE PD restore: source)',
    objects: [
      makePV('pd').zone('zone-a').csi('pd.csi.storage.gke.io', 'd-1').obj(),
      makeClass('pd').driver('pd.csi.storage.gke.io').obj(),
      makePVC('db/restored').class('pd').restoreOf('snap').obj(),
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('pd.csi.storage.gke.io', 'd-1').obj(),
    ],
    drivers: { 'pd.csi.storage.gke.io': { restore: 'source' } },
    pod: restorePod,
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['RestoreSourceTopology'], c1: ['RestoreSourceTopology'] },
  },
]);

table('multiple claims are ANDed', [
  {
    name: 'clone in zone-a and restore in zone-b: no node fits, each node names the claim it fails',
    objects: [
      ...zonalSource,
      makePV('b-pv').zone('zone-b').csi('example.csi.io', 'h-b').obj(),
      makePVC('db/b-src').boundTo('b-pv').obj(),
      wffc,
      makePVC('db/copy').class('wffc').cloneOf('src').obj(),
      makePVC('db/restored').class('wffc').restoreOf('snap').obj(),
      makeSnapshot('db/snap').boundTo('content-1').obj(),
      makeContent('content-1').fromVolume('example.csi.io', 'h-b').obj(),
    ],
    pod: makePod('db/p').claim('copy').claim('restored').obj(),
    nodes,
    want: {
      a1: ['RestoreSourceTopology'],
      a2: ['RestoreSourceTopology'],
      b1: ['CloneSourceTopology'],
      c1: ['CloneSourceTopology', 'RestoreSourceTopology'],
    },
  },
  {
    name: 'bound claim and clone in the same zone: that zone fits',
    objects: [
      ...zonalSource,
      makePV('other').zone('zone-a', 'zone-b').obj(),
      makePVC('db/logs').boundTo('other').obj(),
      wffc,
      makePVC('db/copy').class('wffc').cloneOf('src').obj(),
    ],
    pod: makePod('db/p').claim('logs').claim('copy').obj(),
    nodes,
    want: { a1: 'fits', a2: 'fits', b1: ['CloneSourceTopology'], c1: ['VolumeNodeAffinity', 'CloneSourceTopology'] },
  },
  {
    name: 'the same claim used by two volumes is evaluated once',
    objects: [makePVC('db/data').boundTo('gone').obj()],
    pod: makePod('db/p').claim('data').claim('data').obj(),
    nodes: [a1],
    want: { a1: ['BoundVolumeNotFound'] },
  },
]);

table('generic ephemeral volumes', [
  {
    name: 'claim not created yet: the template is evaluated (clone)',
    objects: [...zonalSource, wffc],
    pod: makePod('db/p')
      .ephemeral('scratch', { storageClassName: 'wffc', dataSource: { kind: 'PersistentVolumeClaim', name: 'src' } })
      .obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['CloneSourceTopology'] },
  },
  {
    name: 'existing claim owned by the pod is evaluated',
    objects: [
      ...zonalSource,
      wffc,
      makePVC('db/p-scratch').class('wffc').cloneOf('src').ownedBy('Pod', 'p', 'uid-1').obj(),
    ],
    pod: makePod('db/p').withUid('uid-1').ephemeral('scratch').obj(),
    nodes: [a1, b1],
    want: { a1: 'fits', b1: ['CloneSourceTopology'] },
  },
  {
    name: 'existing claim owned by another pod fits no node',
    objects: [wffc, makePVC('db/p-scratch').class('wffc').ownedBy('Pod', 'p', 'uid-old').obj()],
    pod: makePod('db/p').withUid('uid-1').ephemeral('scratch').obj(),
    nodes: [a1],
    want: { a1: ['EphemeralClaimNotOwned'] },
  },
  {
    name: 'existing claim without a controller owner fits no node',
    objects: [wffc, makePVC('db/p-scratch').class('wffc').obj()],
    pod: makePod('db/p').withUid('uid-1').ephemeral('scratch').obj(),
    nodes: [a1],
    want: { a1: ['EphemeralClaimNotOwned'] },
  },
]);

describe('pod-level facts', () => {
  const cases: {
    name: string;
    tc: EngineCase;
    want: { checks: number; locations: number; notes: readonly string[] };
  }[] = [
    {
      name: 'pod without claims takes the fast path',
      tc: { name: '', objects: [], pod: makePod('db/p').emptyDir().obj(), nodes },
      want: { checks: 0, locations: 0, notes: [] },
    },
    {
      name: 'restore with unknown source location is noted and takes the fast path',
      tc: {
        name: '',
        objects: [
          wffc,
          restoreClaim,
          makeSnapshot('db/snap').boundTo('content-1').obj(),
          makeContent('content-1').obj(),
        ],
        pod: restorePod,
        nodes,
      },
      want: {
        checks: 0,
        locations: 0,
        notes: [
          'restore pvc "db/restored": restore source volumesnapshot "db/snap" location unknown (no content nodeAffinity, source volume or managed-by node): not constrained',
        ],
      },
    },
    {
      name: 'scope-any clone still has a source location for scoring, and a note',
      tc: {
        name: '',
        objects: [
          ...zonalSource,
          makeClass('rbd').driver('rbd.csi.ceph.com').obj(),
          makePVC('db/copy').class('rbd').cloneOf('src').obj(),
        ],
        pod: clonePod,
        nodes,
      },
      want: {
        checks: 0,
        locations: 1,
        notes: [
          'clone pvc "db/copy": driver "rbd.csi.ceph.com" can clone anywhere (scope any): not constrained by pvc "db/src"',
        ],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = factsFor(c.tc);
      expect({ checks: f.checks.length, locations: f.locations.length, notes: f.notes }).to.deep.equal(c.want);
    });
  }
});

describe('reason messages name the claim, the source and the topology', () => {
  const cases: { name: string; tc: EngineCase; node: string; want: readonly { code: string; message: string }[] }[] = [
    {
      name: 'clone of a zonal source',
      tc: {
        name: '',
        objects: [...zonalSource, wffc, makePVC('db/copy').class('wffc').cloneOf('src').obj()],
        pod: clonePod,
        nodes,
      },
      node: 'b1',
      want: [
        {
          code: 'CloneSourceTopology',
          message:
            'clone pvc "db/copy" needs a node in the topology of source pv "src-pv": topology.kubernetes.io/zone in [zone-a]',
        },
      ],
    },
    {
      name: 'a legacy zone label equal to the nodeAffinity is not repeated; a different one is',
      tc: {
        name: '',
        objects: [
          makePV('src-pv').zone('zone-a').label(ZONE, 'zone-a').label(REGION, 'r1').obj(),
          makePVC('db/src').boundTo('src-pv').obj(),
          wffc,
          makePVC('db/copy').class('wffc').cloneOf('src').obj(),
        ],
        pod: clonePod,
        nodes,
      },
      node: 'c1',
      want: [
        {
          code: 'CloneSourceTopology',
          message:
            'clone pvc "db/copy" needs a node in the topology of source pv "src-pv": topology.kubernetes.io/zone in [zone-a]; topology.kubernetes.io/region in [r1]',
        },
      ],
    },
    {
      name: 'missing claim',
      tc: { name: '', objects: [], pod: makePod('db/p').claim('nope').obj(), nodes },
      node: 'a1',
      want: [{ code: 'ClaimNotFound', message: 'pvc "db/nope" not found' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = factsFor(c.tc);
      const node = c.tc.nodes.find((n) => n.metadata?.name === c.node);
      const labels = node?.metadata?.labels ?? {};
      const failing = f.checks.filter((ch) => !ch.test?.({ name: c.node, labels })).map((ch) => ch.reason);
      expect(failing).to.deep.equal(c.want);
    });
  }
});
