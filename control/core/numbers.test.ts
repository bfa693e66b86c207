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

describe('PrefixTable growth', () => {
  it('moves and deletes prefixes, and reuses deleted slots', () => {
    const table = new PrefixTable<string>();
    table.set('44', 'UK');
    table.set('4420', 'London');
    table.set('4420', 'London fixed');
    expect(table.size).to.equal(2);
    expect(table.lookup('442079460000')?.value).to.equal('London fixed');
    expect(table.delete('4420')).to.equal(true);
    expect(table.delete('4420')).to.equal(false);
    expect(table.lookup('442079460000')).to.deep.equal({ prefix: '44', value: 'UK' });
    for (let round = 0; round < 5_000; round += 1) {
      table.set(`9${round}`, 'churn');
      table.delete(`9${round}`);
    }
    expect(table.size).to.equal(1);
    expect(table.lookup('991234567')).to.equal(undefined);
  });

  it('keeps "1" and "10" apart from each other and from numbers with the same digits', () => {
    const table = new PrefixTable<number>();
    table.set('1', 1);
    table.set('10', 10);
    table.set('100', 100);
    expect(table.lookup('1999')?.value).to.equal(1);
    expect(table.lookup('1099')?.value).to.equal(10);
    expect(table.lookup('1009')?.value).to.equal(100);
    expect(table.lookup('999')).to.equal(undefined);
  });

  it('holds 1,000,000 prefixes in under 64 MB and finds a number in well under 5 µs', function () {
    this.timeout(30_000);
    const count = 1_000_000;
    const table = new PrefixTable<string>();
    const destinations = Array.from({ length: 2_000 }, (_, index) => `destination-${index}`);
    const prefixes: string[] = [];
    for (let index = 0; index < count; index += 1) prefixes.push(String(30_000_000 + index * 7));
    for (let index = 0; index < count; index += 1) table.set(prefixes[index]!, destinations[index % destinations.length]!);
    expect(table.size).to.equal(count);
    expect(table.slotBytes).to.be.below(64 * 1024 * 1024);
    // Numbers that match at the full prefix, and numbers that match nothing.
    const numbers = Array.from({ length: 100_000 }, (_, index) => `${prefixes[(index * 7919) % count]!}${index % 10}123`);
    const started = process.hrtime.bigint();
    let found = 0;
    for (const number of numbers) if (table.lookup(number) !== undefined) found += 1;
    const perLookupNs = Number(process.hrtime.bigint() - started) / numbers.length;
    expect(found).to.equal(numbers.length);
    expect(table.lookup('291234567')).to.equal(undefined);
    expect(table.lookup(`${prefixes[123]!}555`)).to.deep.equal({ prefix: prefixes[123], value: destinations[123] });
    expect(perLookupNs).to.be.below(5_000);
  });
});
