import { expect } from 'chai';
import type { Tariff } from '../../../billing/core/rating.ts';
import { CallCredit, defaultLeadMs } from './call-credit.ts';
import { extensionAmount, firstReservation, plannedEndMs, type CallPricing } from './credit-math.ts';

// One leg at 0.012000 per minute on 1/1, no fee: 200 micros per second.
const LEG: Tariff = { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };
const PRICING: CallPricing = { legs: [LEG], fee_per_minute_micros: 0n };
const SLACK = 2_000n;
const ANSWER_AT = 1_700_000_000_000n;

interface Outcome {
  cut_at_ms: bigint | null;
  extensions: number;
  reserved_micros: bigint;
  last_planned_end_ms: bigint;
}

/**
 * Plays one call against a buyer whose whole limit is `limit_micros`, as the code that owns the
 * timers would: it moves an injected clock to each action's time, extends through the pure credit
 * math (as the store does under its lock) with `latency_ms` of database time, and cuts when told.
 * It checks at every step that the clock never passes the planned end without a cut.
 */
function playCall(limit_micros: bigint, chunk_s: number, latency_ms: bigint): Outcome {
  const first = firstReservation({
    pricing: PRICING,
    position: { limit_micros, collateral_micros: 0n, balance_micros: 0n, reserved_micros: 0n },
    chunk_s,
    slack_ms: SLACK,
  });
  if (!first.ok) throw new Error(`the call could not start: ${first.reason}`);
  let reserved_micros = first.amount_micros;
  const credit = new CallCredit({ answer_at_ms: ANSWER_AT, planned_end_ms: first.planned_end_ms, lead_ms: defaultLeadMs(chunk_s) });
  let now_ms = ANSWER_AT;
  let cut_at_ms: bigint | null = null;
  for (let step = 0; step < 100_000; step += 1) {
    const action = credit.nextAction(now_ms);
    if (action.kind === 'none') break;
    const due_ms = action.at_ms > now_ms ? action.at_ms : now_ms;
    expect(due_ms <= credit.cutAtMs, 'the clock would pass the planned end').to.equal(true);
    now_ms = due_ms;
    if (action.kind === 'cut') {
      cut_at_ms = now_ms;
      credit.ended();
      continue;
    }
    credit.extensionStarted();
    // While the extension is in flight, the cut at the planned end stands as a backstop.
    expect(credit.nextAction(now_ms)).to.deep.equal({ kind: 'cut', at_ms: credit.cutAtMs });
    now_ms += latency_ms;
    expect(now_ms < credit.cutAtMs, 'the extension answered after the planned end').to.equal(true);
    const added = extensionAmount({
      pricing: PRICING,
      reserved_micros,
      position: { limit_micros, collateral_micros: 0n, balance_micros: 0n, reserved_micros },
      chunk_s,
    });
    if (added === 0n) {
      credit.extensionFailed();
    } else {
      reserved_micros += added;
      credit.extended(plannedEndMs(PRICING, reserved_micros, SLACK)!);
    }
  }
  return { cut_at_ms, extensions: credit.extensions, reserved_micros, last_planned_end_ms: credit.plannedEndAfterAnswerMs };
}

describe('the credit of one call over time', () => {
  it('defaults the lead to max(10 s, half a chunk)', () => {
    expect(defaultLeadMs(60)).to.equal(30_000n);
    expect(defaultLeadMs(61)).to.equal(30_500n);
    expect(defaultLeadMs(20)).to.equal(10_000n);
    expect(defaultLeadMs(1)).to.equal(10_000n);
  });

  it('extends a three-hour call 180 times on 60 s chunks and cuts it exactly at its last planned end', () => {
    // The limit pays for 3 h plus the 2 s slack: 200 * (10800 + 2) = 2160400. The first chunk
    // holds 60 s (12000); 179 full extensions reach 10800 s (2160000); the 180th adds the last
    // 400 (2 s); the 181st can add nothing, so the call is cut at 10802 − 2 = 10800 s.
    const outcome = playCall(2_160_400n, 60, 250n);
    expect(outcome.extensions).to.equal(180);
    expect(outcome.reserved_micros).to.equal(2_160_400n);
    expect(outcome.last_planned_end_ms).to.equal(10_800_000n);
    expect(outcome.cut_at_ms).to.equal(ANSWER_AT + 10_800_000n);
  });

  it('cuts at its planned end a buyer whose credit runs out after 5 s', () => {
    // 1000 covers 5 s (200 * 5); 5 − 2 = 3 s planned. The lead (30 s) is longer than the call's
    // cover, so the extension is tried at the answer, fails, and the cut follows at answer + 3 s.
    const outcome = playCall(1_000n, 60, 100n);
    expect(outcome.extensions).to.equal(0);
    expect(outcome.reserved_micros).to.equal(1_000n);
    expect(outcome.cut_at_ms).to.equal(ANSWER_AT + 3_000n);
  });

  it('asks for the first extension the lead before the planned end', () => {
    const credit = new CallCredit({ answer_at_ms: ANSWER_AT, planned_end_ms: 58_000n, lead_ms: 30_000n });
    // 58 s − 30 s = 28 s after the answer.
    expect(credit.nextAction(ANSWER_AT)).to.deep.equal({ kind: 'extend', at_ms: ANSWER_AT + 28_000n });
  });

  it('cuts at the planned end when the extension has not answered by then', () => {
    const credit = new CallCredit({ answer_at_ms: ANSWER_AT, planned_end_ms: 58_000n, lead_ms: 30_000n });
    credit.extensionStarted();
    expect(credit.nextAction(ANSWER_AT + 60_000n)).to.deep.equal({ kind: 'cut', at_ms: ANSWER_AT + 58_000n });
    credit.ended();
    // A late success after the cut changes nothing.
    credit.extended(118_000n);
    expect(credit.nextAction(ANSWER_AT + 61_000n)).to.deep.equal({ kind: 'none' });
    expect(credit.plannedEndAfterAnswerMs).to.equal(58_000n);
  });

  it('cuts when the owner missed the extension moment and the planned end has passed', () => {
    const credit = new CallCredit({ answer_at_ms: ANSWER_AT, planned_end_ms: 58_000n, lead_ms: 30_000n });
    expect(credit.nextAction(ANSWER_AT + 58_000n)).to.deep.equal({ kind: 'cut', at_ms: ANSWER_AT + 58_000n });
  });

  it('keeps the cut once an extension has failed, even if a late one succeeds', () => {
    const credit = new CallCredit({ answer_at_ms: ANSWER_AT, planned_end_ms: 58_000n, lead_ms: 30_000n });
    credit.extensionStarted();
    credit.extensionFailed();
    credit.extended(118_000n);
    expect(credit.phase).to.equal('exhausted');
    expect(credit.nextAction(ANSWER_AT + 40_000n)).to.deep.equal({ kind: 'cut', at_ms: ANSWER_AT + 58_000n });
  });

  it('refuses an extension that does not move the planned end later', () => {
    const credit = new CallCredit({ answer_at_ms: ANSWER_AT, planned_end_ms: 58_000n, lead_ms: 30_000n });
    credit.extensionStarted();
    expect(() => credit.extended(58_000n)).to.throw(RangeError);
  });
});
