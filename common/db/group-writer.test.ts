import { expect } from 'chai';
import { GroupWriter } from './group-writer.ts';

describe('GroupWriter', () => {
  it('writes the first row at once and what arrives meanwhile as one batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const writer = new GroupWriter<number>(async (rows) => {
      batches.push([...rows]);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = writer.add(1);
    const rest = [writer.add(2), writer.add(3), writer.add(4)];
    release();
    await Promise.all([first, ...rest]);
    expect(batches).to.deep.equal([[1], [2, 3, 4]]);
  });

  it('rejects every row of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const writer = new GroupWriter<string>((rows) => {
      calls += 1;
      return rows.includes('bad') ? Promise.reject(new Error('refused')) : Promise.resolve();
    });
    const results = await Promise.allSettled([writer.add('bad'), writer.add('good')]);
    expect(results.map((result) => result.status)).to.deep.equal(['rejected', 'fulfilled']);
    expect(calls).to.equal(2);
  });

  it('splits a long queue into batches of at most maxBatch rows', async () => {
    const sizes: number[] = [];
    let release: () => void = () => undefined;
    const writer = new GroupWriter<number>(async (rows) => {
      sizes.push(rows.length);
      if (sizes.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 2);
    const all = [1, 2, 3, 4, 5].map((row) => writer.add(row));
    release();
    await Promise.all(all);
    expect(sizes).to.deep.equal([1, 2, 2]);
  });
});
