import { expect } from 'chai';
import { normaliseNumber, PrefixTable } from './numbers.ts';

describe('normaliseNumber', () => {
  it('strips +, 00 and separators to E.164 digits', () => {
    expect(normaliseNumber('+44 20 7946-0000')).to.deep.equal({ ok: true, e164: '442079460000' });
    expect(normaliseNumber('00442079460000')).to.deep.equal({ ok: true, e164: '442079460000' });
    expect(normaliseNumber('442079460000')).to.deep.equal({ ok: true, e164: '442079460000' });
  });

  it('strips a trunk tech prefix, and refuses a number without it', () => {
    expect(normaliseNumber('7001#442079460000', '7001#')).to.deep.equal({ ok: true, e164: '442079460000' });
    expect(normaliseNumber('442079460000', '7001#')).to.deep.equal({ ok: false, reason: 'invalid_number' });
  });

  it('refuses letters, a leading zero, too short and too long numbers', () => {
    for (const bad of ['44abc', '0442079460000', '44123', '4420794600001234', '', '+']) {
      expect(normaliseNumber(bad), bad).to.deep.equal({ ok: false, reason: 'invalid_number' });
    }
  });
});

describe('PrefixTable', () => {
  it('finds the longest matching prefix', () => {
    const table = new PrefixTable<string>();
    table.set('44', 'UK');
    table.set('447', 'UK mobile');
    table.set('4477', 'UK mobile special');
    expect(table.lookup('447700900123')?.value).to.equal('UK mobile special');
    expect(table.lookup('447100900123')?.value).to.equal('UK mobile');
    expect(table.lookup('442079460000')).to.deep.equal({ prefix: '44', value: 'UK' });
    expect(table.lookup('33123456789')).to.equal(undefined);
  });
});
