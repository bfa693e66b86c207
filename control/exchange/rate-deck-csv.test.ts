import { expect } from 'chai';
import { parseRateDeckCsv } from './rate-deck-csv.ts';

const NOW_MS = Date.UTC(2030, 5, 15, 12, 0, 0);

describe('parseRateDeckCsv', () => {
  it('turns each line into a sell order by prefix or by destination name', () => {
    const result = parseRateDeckCsv(
      'prefix,price_per_minute,increments,connect_fee,effective_date,channels\n4420,0.012,30/6,0.005,2030-06-15,30\n"United Kingdom - Mobile",0.021000,60/60,,,10\n',
      NOW_MS);
    expect(result).to.deep.equal({
      ok: true,
      lines: [
        { line: 2, destination: { prefix: '4420' }, price_per_minute_micros: 12_000n, first_increment_s: 30, next_increment_s: 6, connect_fee_micros: 5_000n, channels: 30 },
        { line: 3, destination: { name: 'United Kingdom - Mobile' }, price_per_minute_micros: 21_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n, channels: 10 },
      ],
    });
  });

  it('lists every bad line with its reason', () => {
    const deck = [
      '4420,0,60/60,,,1',
      '4421,0.0000001,60/60,,,1',
      '4422,0.01,60,,,1',
      '4423,0.01,60/60,-1,,1',
      '4424,0.01,60/60,,2030-06-16,1',
      '4425,0.01,60/60,,soon,1',
      '4426,0.01,60/60,,,0',
      '4427,0.01,60/60,,,1.5',
      '4428,0.01,60/60,,',
      '4429,0.01,60/60,,,1',
    ].join('\n');
    const result = parseRateDeckCsv(deck, NOW_MS);
    expect(!result.ok && result.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([
      [1, 'invalid_price'], [2, 'invalid_price'], [3, 'invalid_increments'], [4, 'invalid_amount'], [5, 'effective_date_in_future'],
      [6, 'invalid_effective_date'], [7, 'invalid_channels'], [8, 'invalid_channels'], [9, 'wrong_column_count'],
    ]);
  });
});
