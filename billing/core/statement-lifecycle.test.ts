import { expect } from 'chai';
import { allocateNumbers, isOpenStatementState, nextStatementState, paymentTrigger, statementNumberText } from './statement-lifecycle.ts';

describe('statement lifecycle', () => {
  it('issues a draft, then settles it by payments', () => {
    expect(nextStatementState('draft', 'issue')).to.equal('issued');
    expect(nextStatementState('issued', 'pay_partially')).to.equal('partially_paid');
    expect(nextStatementState('partially_paid', 'pay_partially')).to.equal('partially_paid');
    expect(nextStatementState('partially_paid', 'pay_in_full')).to.equal('paid');
    expect(nextStatementState('issued', 'pay_in_full')).to.equal('paid');
  });

  it('falls overdue, stays overdue on a partial payment and is paid in full', () => {
    expect(nextStatementState('issued', 'fall_overdue')).to.equal('overdue');
    expect(nextStatementState('partially_paid', 'fall_overdue')).to.equal('overdue');
    expect(nextStatementState('overdue', 'pay_partially')).to.equal('overdue');
    expect(nextStatementState('overdue', 'pay_in_full')).to.equal('paid');
  });

  it('takes back what a reversed payment settled, and never reopens a void statement', () => {
    expect(nextStatementState('paid', 'reverse_fully')).to.equal('issued');
    expect(nextStatementState('paid', 'reverse_partially')).to.equal('partially_paid');
    expect(nextStatementState('partially_paid', 'reverse_fully')).to.equal('issued');
    expect(nextStatementState('overdue', 'reverse_fully')).to.equal('overdue');
    expect(nextStatementState('void', 'reverse_fully')).to.equal(undefined);
    expect(nextStatementState('issued', 'reverse_partially')).to.equal(undefined);
  });

  it('never reopens a settled statement nor reissues one', () => {
    for (const trigger of ['issue', 'pay_partially', 'pay_in_full', 'fall_overdue', 'void'] as const) {
      expect(nextStatementState('paid', trigger)).to.equal(undefined);
      expect(nextStatementState('void', trigger)).to.equal(undefined);
    }
    expect(nextStatementState('issued', 'issue')).to.equal(undefined);
    expect(nextStatementState('draft', 'pay_in_full')).to.equal(undefined);
    expect(nextStatementState('partially_paid', 'void')).to.equal(undefined);
    expect(isOpenStatementState('overdue')).to.equal(true);
    expect(isOpenStatementState('draft')).to.equal(false);
    expect(isOpenStatementState('paid')).to.equal(false);
  });

  it('numbers statements consecutively from the counter', () => {
    expect(allocateNumbers(41n, 3)).to.deep.equal([42n, 43n, 44n]);
    expect(allocateNumbers(0n, 0)).to.deep.equal([]);
    expect(statementNumberText(42n)).to.equal('ST-000042');
    expect(statementNumberText(1_234_567n)).to.equal('ST-1234567');
    expect(() => statementNumberText(0n)).to.throw(RangeError);
    expect(() => allocateNumbers(-1n, 1)).to.throw(RangeError);
  });

  it('pays a statement in full once the payments reach its balance', () => {
    expect(paymentTrigger(33_000n, 10_000n)).to.equal('pay_partially');
    expect(paymentTrigger(33_000n, 33_000n)).to.equal('pay_in_full');
    expect(paymentTrigger(33_000n, 40_000n)).to.equal('pay_in_full');
  });
});
