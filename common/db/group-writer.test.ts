import { expect } from 'chai';
import { GroupWriter, RowRefusedError } from './group-writer.ts';

/** An error as PostgreSQL reports a row that breaks a constraint. */
function constraintViolation(): Error {
  return Object.assign(new Error('value too long for type character varying(256)'), { code: '22001' });
}

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

  it('writes every other row of a group when one row breaks a constraint, and refuses that row alone', async () => {
    const statements: string[][] = [];
    let release: () => void = () => undefined;
    const writer = new GroupWriter<string>(async (rows) => {
      statements.push([...rows]);
      if (statements.length === 1) await new Promise<void>((resolve) => (release = resolve));
      if (rows.includes('bad')) throw constraintViolation();
    });
    const first = writer.add('first');
    const group = ['a', 'b', 'bad', 'c', 'd'].map((row) => writer.add(row));
    release();
    const results = await Promise.allSettled([first, ...group]);
    expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const refusal = (results[3] as PromiseRejectedResult).reason as RowRefusedError;
    expect(refusal).to.be.instanceOf(RowRefusedError);
    expect(refusal.message).to.equal('row refused by the database: value too long for type character varying(256)');
    // The group, then its halves down to the bad row: every good row was written exactly once.
    const written = statements.filter((rows) => !rows.includes('bad')).flat();
    expect(written.sort()).to.deep.equal(['a', 'b', 'c', 'd', 'first']);
    expect(statements.length).to.be.at.most(7);
  });

  it('does not split a group on an error that says nothing about its rows', async () => {
    let statements = 0;
    const writer = new GroupWriter<string>(() => {
      statements += 1;
      return Promise.reject(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));
    });
    const results = await Promise.allSettled([writer.add('a'), writer.add('b')]);
    expect(results.map((result) => result.status)).to.deep.equal(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).not.to.be.instanceOf(RowRefusedError);
    expect(statements).to.be.at.most(2);
  });
});
