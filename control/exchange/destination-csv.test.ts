import { expect } from 'chai';
import { parseDestinationCsv } from './destination-csv.ts';

describe('parseDestinationCsv', () => {
  it('reads prefix,name lines with a header and optional effective dates', () => {
    const result = parseDestinationCsv('prefix,name,effective_date\n447700,United Kingdom - Mobile,\n+4420,United Kingdom - London,2030-01-01\n');
    expect(result).to.deep.equal({
      ok: true,
      rows: [
        { line: 2, prefix: '447700', name: 'United Kingdom - Mobile', effective_from_ms: null },
        { line: 3, prefix: '4420', name: 'United Kingdom - London', effective_from_ms: Date.UTC(2030, 0, 1) },
      ],
    });
  });

  it('reads destination,prefixes lines without a header, prefixes split by ; or spaces', () => {
    const result = parseDestinationCsv('"Germany, Mobile",4915;4916  4917\nFrance,33\n');
    expect(result.ok && result.rows.map((row) => [row.line, row.name, row.prefix])).to.deep.equal([
      [1, 'Germany, Mobile', '4915'], [1, 'Germany, Mobile', '4916'], [1, 'Germany, Mobile', '4917'], [2, 'France', '33'],
    ]);
  });

  it('takes the layout from the first line when there is no header', () => {
    const result = parseDestinationCsv('33,France\n34,Spain');
    expect(result.ok && result.rows.map((row) => [row.prefix, row.name])).to.deep.equal([['33', 'France'], ['34', 'Spain']]);
  });

  it('lists every bad line and keeps nothing', () => {
    const result = parseDestinationCsv('prefix,name\n33,France\nabc,Nowhere\n34\n35,Spain,next tuesday\n33,France again\n');
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([
      [3, 'invalid_prefix'], [4, 'wrong_column_count'], [5, 'invalid_effective_date'], [6, 'duplicate_prefix'],
    ]);
  });

  it('refuses an empty file and a file of headers only', () => {
    expect(parseDestinationCsv('')).to.deep.include({ ok: false });
    expect(parseDestinationCsv('prefix,name\n')).to.deep.include({ ok: false });
  });
});
