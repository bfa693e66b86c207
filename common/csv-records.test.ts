import { expect } from 'chai';
import { csvRecords, CsvSyntaxError, eachCsvRecord, readCsv } from './csv-records.ts';

const records = (text: string) => {
  const result = readCsv(text, 100);
  if (!result.ok) throw new Error(`line ${result.line}: ${result.message}`);
  return result.records.map((record) => [record.line, ...record.fields]);
};

const streamed = async (text: string, max = 100) => {
  const out: unknown[] = [];
  for await (const record of csvRecords(text, max)) out.push([record.line, ...record.fields]);
  return out;
};

describe('CSV records (csv-parse)', () => {
  it('reads fields and records with LF or CRLF, trims unquoted fields and skips blank lines', () => {
    expect(records('a, b ,c\r\n\n1,2,3\n')).to.deep.equal([[1, 'a', 'b', 'c'], [3, '1', '2', '3']]);
  });

  it('keeps commas, doubled quotes and line breaks inside quotes, and gives the line a record starts on', () => {
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
    expect(readCsv('33,France\n"34,Spain\n', 10)).to.deep.equal({ ok: false, line: 2, message: 'a quoted field is never closed' });
    expect(readCsv(`ok,1\n2,"${'x'.repeat(70_000)}"\n`, 10)).to.deep.equal({ ok: false, line: 2, message: 'a line longer than 65536 characters' });
  });

  it('stops at the record limit, and when the handler asks', () => {
    expect(readCsv('1\n2\n3\n', 2)).to.deep.equal({ ok: false, line: 3, message: 'more than 2 records' });
    expect(readCsv('1\n2\n', 2).ok).to.equal(true);
    const seen: number[] = [];
    expect(eachCsvRecord('1\n2\n3\n', 10, (record) => seen.push(record.line) < 2)).to.deep.equal({ ok: true });
    expect(seen).to.deep.equal([1, 2]);
  });

  it('streams records with their lines, and throws a syntax error with its line', async () => {
    expect(await streamed('a,b\r\n\n"x\ny",2\nlast')).to.deep.equal([[1, 'a', 'b'], [3, 'x\ny', '2'], [5, 'last']]);
    for (const [text, line, message] of [['ok\n"abc"x,2\n', 2, 'text after a closing quote'], ['1\n2\n3\n', 3, 'more than 2 records']] as const) {
      try {
        await streamed(text, 2);
        expect.fail('a syntax error was expected');
      } catch (error) {
        expect(error).to.be.instanceOf(CsvSyntaxError);
        expect([(error as CsvSyntaxError).line, (error as CsvSyntaxError).message]).to.deep.equal([line, message]);
      }
    }
  });
});
