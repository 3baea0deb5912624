import { expect } from 'chai';
import {
  encodeFilterAllNames,
  encodeFilterNames,
  encodeName,
  encodeReason,
  encodeZeroPriorities,
  FailedNodesJson,
  PrioritiesJson,
} from '../../src/extender/encode.js';
import { type NameList, scanArgs } from '../../src/extender/scan.js';

const text = (pieces: readonly Uint8Array[]): string => Buffer.concat(pieces).toString('latin1');

describe('encode: replies assembled from byte pieces', () => {
  const filterCases = [
    { name: 'nothing passes, nothing fails', passing: [], failed: {} },
    { name: 'passing and failing nodes', passing: ['a1', 'a2'], failed: { b1: 'wrong zone', c1: 'wrong "region"' } },
    { name: 'only failures', passing: [], failed: { nöde: 'caf\u00e9 \u2026' } },
  ];
  for (const tc of filterCases) {
    it(`filter, NodeNames: ${tc.name}`, () => {
      const failed = new FailedNodesJson();
      for (const [name, reason] of Object.entries(tc.failed)) failed.add(name, encodeReason(reason));
      const body = text(encodeFilterNames(tc.passing.map(encodeName), failed));
      expect({
        ascii: /^[\x20-\x7e]*$/.test(body),
        reply: JSON.parse(body),
      }).to.deep.equal({
        ascii: true,
        reply: {
          Nodes: null,
          NodeNames: tc.passing,
          FailedNodes: {},
          FailedAndUnresolvableNodes: tc.failed,
          Error: '',
        },
      });
    });
  }

  // Lists as kube-scheduler might write them: compact, spaced, with escapes and non-ASCII bytes.
  const listCases = [
    { name: 'empty list', list: '[]' },
    { name: 'compact', list: '["a1","b1"]' },
    { name: 'spaced and across lines', list: '[ "a1" ,\n\t"b1"\r\n]' },
    { name: 'escapes', list: '["\\u0061\\u0031","b\\"1","c\\\\1"]' },
    { name: 'non-ASCII and a lone surrogate escape', list: '["nöde","x\\ud800y"]' },
  ];
  const scannedList = (list: string): NameList => {
    const args = scanArgs(Buffer.from(`{"Pod":{},"NodeNames":${list}}`, 'utf8'));
    if (args.nodeNames?.kind !== 'array') throw new Error('not a list');
    return args.nodeNames.list;
  };
  for (const tc of listCases) {
    it(`filter, NodeNames, everything passes: ${tc.name}: the request's list, byte for byte`, () => {
      const names = scannedList(tc.list);
      const reply = Buffer.concat(encodeFilterAllNames(names));
      const listBytes = Buffer.from(tc.list, 'utf8');
      expect(reply.includes(listBytes), 'list copied verbatim').to.equal(true);
      expect(JSON.parse(reply.toString('utf8'))).to.deep.equal({
        Nodes: null,
        NodeNames: JSON.parse(tc.list),
        FailedNodes: {},
        FailedAndUnresolvableNodes: {},
        Error: '',
      });
    });
    it(`prioritize, score 0 for every name: ${tc.name}`, () => {
      const names = scannedList(tc.list);
      const reply = Buffer.concat(encodeZeroPriorities(names)).toString('utf8');
      expect(JSON.parse(reply)).to.deep.equal((JSON.parse(tc.list) as string[]).map((Host) => ({ Host, Score: 0 })));
    });
  }

  const priorityCases = [
    { name: 'no hosts', hosts: [], scores: [] },
    {
      name: 'every score 0 to 10',
      hosts: Array.from({ length: 11 }, (_, i) => `n${i}`),
      scores: Array.from({ length: 11 }, (_, i) => i),
    },
  ];
  for (const tc of priorityCases) {
    it(`prioritize: ${tc.name}`, () => {
      const priorities = new PrioritiesJson();
      for (const [i, host] of tc.hosts.entries()) priorities.add(encodeName(host), tc.scores[i] as number);
      const body = text(priorities.finish());
      expect(JSON.parse(body)).to.deep.equal(tc.hosts.map((Host, i) => ({ Host, Score: tc.scores[i] })));
    });
  }

  const badScores = [
    { name: 'above 10', score: 11 },
    { name: 'negative', score: -1 },
    { name: 'not an integer', score: 2.5 },
  ];
  for (const tc of badScores) {
    it(`prioritize refuses a score ${tc.name}`, () => {
      expect(() => new PrioritiesJson().add(encodeName('n1'), tc.score)).to.throw(RangeError, 'is not an integer 0-10');
    });
  }
});
