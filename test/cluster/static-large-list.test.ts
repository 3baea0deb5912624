import { expect } from 'chai';
import { parseStateText } from '../../src/cluster/static.js';

describe('static state: large Lists', () => {
  it('loads a kind: List with more items than a call can take as arguments', () => {
    const items = Array.from({ length: 300_000 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pv-${i}` },
    }));
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
    const objects = parseStateText('state.json', text);
    expect(objects).to.have.length(300_000);
    expect(objects[299_999]).to.deep.equal(items[299_999]);
  });
});
