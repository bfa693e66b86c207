import { expect } from 'chai';
import { readCsv } from './csv.ts';

const records = (text: string) => {
  const result = readCsv(text, 100);
  if (!result.ok) throw new Error(`line ${result.line}: ${result.message}`);
  return result.records.map((record) => [record.line, ...record.fields]);
};

describe('readCsv', () => {
  it('reads fields and records with LF or CRLF, trims unquoted fields and skips blank lines', () => {
    expect(records('a, b ,c\r\n\n1,2,3\n')).to.deep.equal([[1, 'a', 'b', 'c'], [3, '1', '2', '3']]);
  });

  it('keeps commas, doubled quotes and line breaks inside quotes, and counts lines across them', () => {
    expect(records('"Germany, Mobile","say ""hi""","two\nlines"\nnext,row')).to.deep.equal([
      [1, 'Germany, Mobile', 'say "hi"', 'two\nlines'],
      [3, 'next', 'row'],
    ]);
  });

  it('keeps empty fields and spaces inside quotes, and ignores a byte order mark', () => {
    expect(records('\uFEFFa,,c\n" x ",\n')).to.deep.equal([[1, 'a', '', 'c'], [2, ' x ', '']]);
  });

  it('refuses what RFC 4180 does not allow, with the line', () => {
    expect(readCsv('ok,1\nab"c,2', 10)).to.deep.equal({ ok: false, line: 2, message: 'a quote inside an unquoted field' });
    expect(readCsv('ok,1\n"abc"x,2', 10)).to.deep.equal({ ok: false, line: 2, message: 'text after a closing quote' });
    expect(readCsv('ok,1\n\n"abc,2\n3', 10)).to.deep.equal({ ok: false, line: 3, message: 'a quoted field is never closed' });
  });

  it('stops at the record limit', () => {
    expect(readCsv('1\n2\n3\n', 2)).to.deep.include({ ok: false, message: 'more than 2 records' });
    expect(readCsv('1\n2\n', 2).ok).to.equal(true);
  });
});
