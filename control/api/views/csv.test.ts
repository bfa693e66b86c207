import { expect } from 'chai';
import { csvDocument, csvField, csvText } from './csv.ts';

describe('CSV writing', () => {
  it('quotes only what needs it, doubling quotes', () => {
    expect(csvField('UK Mobile')).to.equal('UK Mobile');
    expect(csvField('Mobile, UK')).to.equal('"Mobile, UK"');
    expect(csvField('the "best" route')).to.equal('"the ""best"" route"');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField(' padded')).to.equal('" padded"');
    expect(csvField(12n)).to.equal('12');
    expect(csvField('-1.500000')).to.equal('-1.500000');
  });

  it('defuses free text that a spreadsheet would run as a formula', () => {
    expect(csvText('=HYPERLINK("x")')).to.equal(`"'=HYPERLINK(""x"")"`);
    expect(csvText('@SUM(A1)')).to.equal(`'@SUM(A1)`);
    expect(csvText('Germany')).to.equal('Germany');
  });

  it('ends every line with CRLF', () => {
    expect(csvDocument([['a', 'b'], ['1', '"x,y"']])).to.equal('a,b\r\n1,"x,y"\r\n');
  });
});
