import { expect } from 'chai';
import fc from 'fast-check';
import { insertAt, removeAt } from './array-positions.ts';

describe('array positions', () => {
  it('insert and remove exactly as splice does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.nat(), fc.integer(), (items, position, item) => {
        const index = position % (items.length + 1);
        const inserted = [...items];
        insertAt(inserted, index, item);
        const expectedInserted = [...items];
        expectedInserted.splice(index, 0, item);
        expect(inserted).to.deep.equal(expectedInserted);
        if (items.length === 0) return;
        const removed = [...items];
        const taken = removeAt(removed, index % items.length);
        const expectedRemoved = [...items];
        const [expectedTaken] = expectedRemoved.splice(index % items.length, 1);
        expect([removed, taken]).to.deep.equal([expectedRemoved, expectedTaken]);
      }),
    );
  });

  it('returns undefined for an index outside the array', () => {
    const items = [1, 2];
    expect(removeAt(items, 2)).to.equal(undefined);
    expect(removeAt(items, -1)).to.equal(undefined);
    expect(items).to.deep.equal([1, 2]);
  });
});
