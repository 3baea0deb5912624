import { expect } from 'chai';
import {
  encodeFilterAllNames,
  encodeFilterNames,
  encodeNamePriorities,
  encodeReason,
  FailedNodesJson,
  type SizedBody,
} from '../../src/extender/encode.js';
import { type NameList, scanArgs } from '../../src/extender/scan.js';

const text = (pieces: readonly Uint8Array[]): string => Buffer.concat(pieces).toString('latin1');

/** A sized body written into a buffer of exactly its length, pre-filled so that a byte left unwritten shows. */
function written(body: SizedBody): string {
  const out = Buffer.alloc(body.length, 0xff);
  body.writeTo(out);
  return out.toString('utf8');
}

/** The NameList of a body whose NodeNames is `list` (JSON text). */
function scannedList(list: string): NameList {
  const args = scanArgs(Buffer.from(`{"Pod":{},"NodeNames":${list}}`, 'utf8'));
  if (args.nodeNames?.kind !== 'array') throw new Error('not a list');
  return args.nodeNames.list;
}

describe("encode: replies written from byte pieces and from the request's own bytes", () => {
  it('FailedNodesJson: names encoded ASCII, each with its reason', () => {
    const failed = new FailedNodesJson(3);
    const reasons = { b1: 'wrong zone', c1: 'wrong "region"', nöde: 'caf\u00e9 \u2026' };
    for (const [name, reason] of Object.entries(reasons)) failed.add(name, encodeReason(reason));
    const pieces: Uint8Array[] = [];
    const end = failed.writeTo(pieces, 0);
    const body = text(pieces);
    expect({ end, pieces: failed.pieces, ascii: /^[\x20-\x7e]*$/.test(body), map: JSON.parse(body) }).to.deep.equal({
      end: pieces.length,
      pieces: pieces.length,
      ascii: true,
      map: reasons,
    });
  });

  // Lists as kube-scheduler might write them: compact, spaced, with escapes and non-ASCII bytes.
  const listCases = [
    { name: 'empty list', list: '[]' },
    { name: 'one name', list: '["a1"]' },
    { name: 'compact', list: '["a1","b1","c1","d1"]' },
    { name: 'spaced and across lines', list: '[ "a1" ,\n\t"b1"\r\n, "c1"]' },
    { name: 'escapes', list: '["\\u0061\\u0031","b\\"1","c\\\\1"]' },
    { name: 'non-ASCII and a lone surrogate escape', list: '["nöde","x\\ud800y"]' },
  ];
  // Which names of a list fail, by position: every pattern a list of up to four can have that matters.
  const verdictCases = [
    { name: 'all pass', fails: (_k: number) => false },
    { name: 'all fail', fails: (_k: number) => true },
    { name: 'the first fails', fails: (k: number) => k === 0 },
    { name: 'every other fails', fails: (k: number) => k % 2 === 1 },
  ];
  const reasons = [encodeReason('wrong zone'), encodeReason('caf\u00e9: "quoted" reason')];
  for (const tc of listCases) {
    for (const vc of verdictCases) {
      it(`filter, NodeNames: ${tc.name}, ${vc.name}: passing names listed, failing names with their reasons`, () => {
        const names = scannedList(tc.list);
        const values = JSON.parse(tc.list) as string[];
        const verdicts = values.map((_, k) => (vc.fails(k) ? reasons[k % 2] : undefined));
        const reply = JSON.parse(written(encodeFilterNames(names, verdicts)));
        expect(reply).to.deep.equal({
          Nodes: null,
          NodeNames: values.filter((_, k) => !vc.fails(k)),
          FailedNodes: {},
          FailedAndUnresolvableNodes: Object.fromEntries(
            values.flatMap((v, k) =>
              vc.fails(k) ? [[v, k % 2 === 0 ? 'wrong zone' : 'caf\u00e9: "quoted" reason']] : [],
            ),
          ),
          Error: '',
        });
      });
    }
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
    it(`prioritize, NodeNames: ${tc.name}: every name with its score, each host its literal in the request`, () => {
      const names = scannedList(tc.list);
      const values = JSON.parse(tc.list) as string[];
      const scores = Uint8Array.from(values, (_, k) => (3 * k + 10) % 11);
      const body = written(encodeNamePriorities(names, scores));
      for (let k = 0; k < names.length; k++) {
        const literal = names.body.toString('utf8', names.literalStart(k), names.literalEnd(k));
        expect(body.includes(`{"Host":${literal},`), `host ${literal} as in the request`).to.equal(true);
      }
      expect(JSON.parse(body)).to.deep.equal(values.map((Host, k) => ({ Host, Score: scores[k] })));
    });
  }

  it('prioritize, NodeNames: every score 0 to 10', () => {
    const hosts = Array.from({ length: 11 }, (_, i) => `n${i}`);
    const names = scannedList(JSON.stringify(hosts));
    const scores = Uint8Array.from(hosts, (_, i) => i);
    expect(JSON.parse(written(encodeNamePriorities(names, scores)))).to.deep.equal(
      hosts.map((Host, i) => ({ Host, Score: i })),
    );
  });

  const badScores = [
    { name: 'above 10', score: 11 },
    { name: 'a negative one stored unsigned', score: 255 },
  ];
  for (const tc of badScores) {
    it(`prioritize refuses a score ${tc.name}`, () => {
      const names = scannedList('["n0","n1"]');
      expect(() => encodeNamePriorities(names, Uint8Array.of(0, tc.score))).to.throw(
        RangeError,
        'is not an integer 0-10',
      );
    });
  }
});
