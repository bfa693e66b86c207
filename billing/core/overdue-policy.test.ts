import { expect } from 'chai';
import { DEFAULT_OVERDUE_POLICY, localDay, overdueStanding, planDraws, validatePolicy, type DrawableCollateral, type OwedStatement } from './overdue-policy.ts';
import { depositDrawTransaction, letterOfCreditDrawTransaction, paymentReversalTransaction } from './collateral-draw.ts';
import { firstDrawState, nextDrawState } from './draw-lifecycle.ts';

const owed = (statement_id: string, outstanding_micros: bigint, due_date: string, currency = 'USD'): OwedStatement => ({ statement_id, currency, outstanding_micros, due_date });
const collateral = (collateral_id: string, kind: DrawableCollateral['kind'], available_micros: bigint, valid_until: string | null = null, refused: string[] = []): DrawableCollateral => ({
  collateral_id, kind, currency: 'USD', available_micros, valid_until: valid_until === null ? null : new Date(valid_until), refused_for: new Set(refused),
});

describe('overdue policy', () => {
  it('enters the state of the oldest statement still owed, and none when nothing is past due', () => {
    const statements = [owed('a', 5_000_000n, '2026-11-20'), owed('b', 2_000_000n, '2026-11-28'), owed('c', 1_000_000n, '2026-12-05')];
    const cases: Array<[string, string | null, number]> = [
      ['2026-11-20', null, 0], // due today: not past due
      ['2026-11-21', 'notice', 1],
      ['2026-11-27', 'blocked', 7],
      ['2026-11-29', 'blocked', 9],
      ['2026-11-30', 'collateral_drawn', 10],
    ];
    for (const [today, state, days] of cases) {
      const standing = overdueStanding(DEFAULT_OVERDUE_POLICY, statements, today);
      expect(standing.state?.name ?? null, today).to.equal(state);
      expect(standing.days_past_due, today).to.equal(days);
    }
    // 2026-11-30: a and b are past due, c is not due yet.
    expect(overdueStanding(DEFAULT_OVERDUE_POLICY, statements, '2026-11-30').past_due_micros).to.deep.equal(new Map([['USD', 7_000_000n]]));
  });

  it('clears the state once the oldest statement is paid, and judges by the next one', () => {
    const paidOff = [owed('a', 0n, '2026-11-20'), owed('b', 2_000_000n, '2026-11-28')];
    const standing = overdueStanding(DEFAULT_OVERDUE_POLICY, paidOff, '2026-11-30');
    expect(standing.state?.name).to.equal('notice');
    expect(overdueStanding(DEFAULT_OVERDUE_POLICY, [owed('a', 0n, '2026-11-01')], '2026-11-30').state).to.equal(null);
  });

  it('accepts the default policy and refuses states out of order, duplicated or malformed', () => {
    expect(validatePolicy(DEFAULT_OVERDUE_POLICY)).to.deep.equal({ ok: true, policy: DEFAULT_OVERDUE_POLICY });
    const base = { block_buying: false, draw_collateral: false, message: 'm' };
    expect(validatePolicy([{ ...base, name: 'a', days_past_due: 7 }, { ...base, name: 'b', days_past_due: 3 }]).ok).to.equal(false);
    expect(validatePolicy([{ ...base, name: 'a', days_past_due: 1 }, { ...base, name: 'a', days_past_due: 3 }]).ok).to.equal(false);
    expect(validatePolicy([{ ...base, name: 'a', days_past_due: 0 }]).ok).to.equal(false);
    expect(validatePolicy([{ ...base, name: 'a b', days_past_due: 1 }]).ok).to.equal(false);
    expect(validatePolicy([{ ...base, name: 'a', days_past_due: 1.5 }]).ok).to.equal(false);
    expect(validatePolicy({ states: [] }).ok).to.equal(false);
    expect(validatePolicy([]).ok).to.equal(true);
  });

  it('tells the local day in the carrier time zone', () => {
    const at = new Date('2026-11-30T23:30:00Z');
    expect(localDay(at, 'UTC')).to.equal('2026-11-30');
    expect(localDay(at, 'Europe/Paris')).to.equal('2026-12-01');
    expect(localDay(at, 'America/New_York')).to.equal('2026-11-30');
  });
});

describe('draws on collateral', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('draws the deposit first, then the letter of credit expiring first, oldest statement first', () => {
    const draws = planDraws(
      [owed('newer', 4_000_000n, '2026-11-20'), owed('older', 3_000_000n, '2026-11-10')],
      new Map(),
      [collateral('lc-late', 'letter_of_credit', 10_000_000n, '2027-06-01'), collateral('lc-soon', 'letter_of_credit', 1_000_000n, '2026-12-31'), collateral('dep', 'deposit', 5_000_000n)],
      now,
    );
    expect(draws.map((draw) => [draw.collateral_id, draw.statement_id, draw.amount_micros])).to.deep.equal([
      ['dep', 'older', 3_000_000n],
      ['dep', 'newer', 2_000_000n],
      ['lc-soon', 'newer', 1_000_000n],
      ['lc-late', 'newer', 1_000_000n],
    ]);
  });

  it('never draws an expired letter of credit, another currency, a refused source or what a presented draw already asks', () => {
    const draws = planDraws(
      [owed('s', 5_000_000n, '2026-11-10'), owed('eur', 1_000_000n, '2026-11-10', 'EUR')],
      new Map([['s', 2_000_000n]]),
      [collateral('expired', 'letter_of_credit', 9_000_000n, '2026-11-30T11:59:59Z'), collateral('refused', 'letter_of_credit', 9_000_000n, '2027-01-01', ['s']), collateral('lc', 'letter_of_credit', 9_000_000n, '2027-02-01')],
      now,
    );
    expect(draws).to.deep.equal([{ collateral_id: 'lc', kind: 'letter_of_credit', statement_id: 's', currency: 'USD', amount_micros: 3_000_000n }]);
    expect(planDraws([owed('s', 1n, '2026-11-10')], new Map(), [collateral('empty', 'deposit', 0n)], now)).to.deep.equal([]);
  });

  it('posts balanced ledger transactions for draws and reversals', () => {
    const entry = { draw_id: 'd1', carrier_id: 'c1', currency: 'USD', amount_micros: 1_500_000n, statement_id: 's1' };
    const deposit = depositDrawTransaction(entry);
    expect(deposit.postings.map((posting) => [posting.account.kind, posting.amount_micros])).to.deep.equal([
      ['deposit', 1_500_000n], ['receivable', -1_500_000n], ['cash', 1_500_000n], ['clearing', -1_500_000n],
    ]);
    expect(letterOfCreditDrawTransaction(entry).postings.map((posting) => [posting.account.kind, posting.amount_micros])).to.deep.equal([['cash', 1_500_000n], ['receivable', -1_500_000n]]);
    const reversal = paymentReversalTransaction('evt_1', 'c1', 'USD', 700n, 's1');
    expect(reversal.idempotency_key).to.equal('reversal:evt_1');
    expect(reversal.postings.map((posting) => [posting.account.kind, posting.amount_micros])).to.deep.equal([['receivable', 700n], ['cash', -700n]]);
    expect(() => depositDrawTransaction({ ...entry, amount_micros: 0n })).to.throw();
  });
});

describe('draw lifecycle', () => {
  it('honours a deposit at once, presents a letter of credit, and never decides a draw twice', () => {
    expect(firstDrawState('deposit')).to.equal('honoured');
    expect(firstDrawState('letter_of_credit')).to.equal('presented');
    expect(nextDrawState('presented', 'honour')).to.equal('honoured');
    expect(nextDrawState('presented', 'refuse')).to.equal('refused');
    for (const state of ['honoured', 'refused'] as const) {
      expect(nextDrawState(state, 'honour')).to.equal(undefined);
      expect(nextDrawState(state, 'refuse')).to.equal(undefined);
    }
  });
});
