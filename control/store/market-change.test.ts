import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { decodeChange, encodeChange, MAX_PAYLOAD_BYTES } from './market-change.ts';

describe('market change messages', () => {
  it('carry the kind and ids, split under the NOTIFY payload limit', () => {
    const ids = Array.from({ length: 1_000 }, () => randomUUID());
    const payloads = encodeChange('node-a', { kind: 'trades', ids });
    expect(payloads.length).to.be.above(1);
    const received: string[] = [];
    for (const payload of payloads) {
      expect(Buffer.byteLength(payload)).to.be.below(MAX_PAYLOAD_BYTES + 1);
      const { node, change } = decodeChange(payload);
      expect(node).to.equal('node-a');
      if (change.kind !== 'trades') throw new Error(`unexpected ${change.kind}`);
      received.push(...change.ids);
    }
    expect(received).to.deep.equal(ids);
  });

  it('send an import by reference, and a change too big for a few messages as a full reload', () => {
    const import_id = randomUUID();
    expect(decodeChange(encodeChange('n', { kind: 'import', import_id })[0]!).change).to.deep.equal({ kind: 'import', import_id });
    const huge = encodeChange('n', { kind: 'trunks', ids: Array.from({ length: 20_000 }, () => randomUUID()) });
    expect(huge.map((payload) => decodeChange(payload).change)).to.deep.equal([{ kind: 'all' }]);
  });

  it('read anything not understood as a full reload', () => {
    for (const payload of ['', '12345', 'not json', '{"kind":"trades","ids":["x"]}', '{"kind":"wat"}', 'null']) {
      expect(decodeChange(payload).change, payload).to.deep.equal({ kind: 'all' });
    }
  });
});
