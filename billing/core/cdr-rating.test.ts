import { expect } from 'chai';
import { rateStoredCdr, type StoredCdr } from './cdr-rating.ts';

/** An answered 61 s call on 30/6 at 0.012000 per minute with a 0.005000 connect fee and a 0.000600 fee. */
const ANSWERED: StoredCdr = {
  call_id: 'c1@test', buyer_id: 'buyer', seller_id: 'seller', trade_id: 'trade', answered: true, duration_ms: 61_000n, currency: 'USD',
  price_per_minute_micros: 12_000n, first_increment_s: 30, next_increment_s: 6, connect_fee_micros: 5_000n, fee_per_minute_micros: 600n,
};

describe('rating a CDR from its stored terms', () => {
  it('rates an answered call from the terms stored on it, and the same CDR always to the same amount', () => {
    const first = rateStoredCdr(ANSWERED);
    // 66 s billed; seller 200 * 66 + 5000 = 18200; fee 600 * 66 / 60 = 660; buyer 18860.
    expect(first).to.deep.include({ ok: true, rated: { billed_s: 66, seller_amount_micros: 18_200n, fee_amount_micros: 660n, premium_amount_micros: 0n, buyer_amount_micros: 18_860n } });
    expect(rateStoredCdr({ ...ANSWERED })).to.deep.equal(first);
    if (!first.ok) throw new Error('rated');
    expect(first.draft?.idempotency_key).to.equal('cdr:c1@test');
    expect(first.draft?.postings.map((posting) => posting.amount_micros)).to.deep.equal([18_860n, -18_200n, -660n]);
  });

  it('charges the fee its CDR holds: a fee changed since is not used', () => {
    const rating = rateStoredCdr({ ...ANSWERED, fee_per_minute_micros: 1_200n });
    expect(rating).to.deep.include({ ok: true, rated: { billed_s: 66, seller_amount_micros: 18_200n, fee_amount_micros: 1_320n, premium_amount_micros: 0n, buyer_amount_micros: 19_520n } });
  });

  it('rates an unanswered call or one without a trade as nothing, with or without terms', () => {
    for (const cdr of [{ ...ANSWERED, answered: false }, { ...ANSWERED, trade_id: null, fee_per_minute_micros: null }]) {
      expect(rateStoredCdr(cdr)).to.deep.equal({ ok: true, rated: { billed_s: 0, seller_amount_micros: 0n, fee_amount_micros: 0n, premium_amount_micros: 0n, buyer_amount_micros: 0n }, draft: null });
    }
  });

  it('refuses with a reason a CDR missing its terms or its parties, or whose terms are invalid', () => {
    expect(rateStoredCdr({ ...ANSWERED, fee_per_minute_micros: null })).to.deep.include({ ok: false, reason: 'missing_terms' });
    expect(rateStoredCdr({ ...ANSWERED, currency: null })).to.deep.include({ ok: false, reason: 'missing_terms' });
    expect(rateStoredCdr({ ...ANSWERED, seller_id: null })).to.deep.include({ ok: false, reason: 'missing_parties' });
    expect(rateStoredCdr({ ...ANSWERED, next_increment_s: 0 })).to.deep.include({ ok: false, reason: 'invalid_terms' });
    expect(rateStoredCdr({ ...ANSWERED, fee_per_minute_micros: -1n })).to.deep.include({ ok: false, reason: 'invalid_terms' });
  });
});
