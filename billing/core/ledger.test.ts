import { expect } from 'chai';
import { assertBalanced, cdrBatchTransaction, cdrTransaction, LedgerInvariantError, type PostingDraft, type TransactionDraft } from './ledger.ts';

const BUYER = '11111111-1111-1111-1111-111111111111';
const SELLER = '22222222-2222-2222-2222-222222222222';

function draft(postings: PostingDraft[], idempotency_key = 'test:1'): TransactionDraft {
  return { idempotency_key, kind: 'test', description: '', postings };
}

function posting(carrier_id: string | null, amount_micros: bigint, currency = 'USD'): PostingDraft {
  return { account: { carrier_id, kind: carrier_id === null ? 'revenue' : 'cash', currency }, amount_micros };
}

describe('ledger core', () => {
  describe('assertBalanced', () => {
    it('accepts postings that sum to zero in each currency', () => {
      expect(() => assertBalanced(draft([posting(BUYER, 100n), posting(SELLER, -100n)]))).not.to.throw();
      expect(() =>
        assertBalanced(
          draft([posting(BUYER, 100n), posting(SELLER, -60n), posting(null, -40n), posting(BUYER, 7n, 'EUR'), posting(SELLER, -7n, 'EUR')]),
        ),
      ).not.to.throw();
    });

    it('refuses fewer than two postings', () => {
      expect(() => assertBalanced(draft([]))).to.throw(LedgerInvariantError, /at least two/);
      expect(() => assertBalanced(draft([posting(BUYER, 100n)]))).to.throw(LedgerInvariantError, /at least two/);
    });

    it('refuses a zero posting even when the rest balances', () => {
      expect(() => assertBalanced(draft([posting(BUYER, 100n), posting(SELLER, -100n), posting(null, 0n)]))).to.throw(
        LedgerInvariantError,
        /zero posting/,
      );
    });

    it('refuses postings that do not sum to zero', () => {
      expect(() => assertBalanced(draft([posting(BUYER, 100n), posting(SELLER, -99n)]))).to.throw(LedgerInvariantError, /USD sums to 1/);
    });

    it('refuses currencies that balance only when added together', () => {
      // +100 USD and -100 EUR sum to zero as numbers but each currency is off by 100.
      expect(() => assertBalanced(draft([posting(BUYER, 100n, 'USD'), posting(SELLER, -100n, 'EUR')]))).to.throw(
        LedgerInvariantError,
        /does not balance/,
      );
    });

    it('refuses an empty or over-long idempotency key', () => {
      const balanced = [posting(BUYER, 1n), posting(SELLER, -1n)];
      expect(() => assertBalanced(draft(balanced, ''))).to.throw(LedgerInvariantError);
      expect(() => assertBalanced(draft(balanced, 'k'.repeat(301)))).to.throw(LedgerInvariantError);
      expect(() => assertBalanced(draft(balanced, 'k'.repeat(300)))).not.to.throw();
    });
  });

  describe('cdrTransaction', () => {
    it('debits the buyer, credits the seller and the exchange', () => {
      const transaction = cdrTransaction({
        call_id: 'abc@host',
        buyer_id: BUYER,
        seller_id: SELLER,
        currency: 'USD',
        rated: { billed_s: 66, seller_amount_micros: 18_200n, fee_amount_micros: 660n, premium_amount_micros: 0n, buyer_amount_micros: 18_860n },
      });
      expect(transaction).to.deep.equal({
        idempotency_key: 'cdr:abc@host',
        kind: 'cdr',
        description: 'call abc@host: 66 s billed',
        postings: [
          { account: { carrier_id: BUYER, kind: 'receivable', currency: 'USD' }, amount_micros: 18_860n },
          { account: { carrier_id: SELLER, kind: 'payable', currency: 'USD' }, amount_micros: -18_200n },
          { account: { carrier_id: null, kind: 'revenue', currency: 'USD' }, amount_micros: -660n },
        ],
      });
    });

    it('leaves out the revenue posting when there is no fee', () => {
      const transaction = cdrTransaction({
        call_id: 'no-fee',
        buyer_id: BUYER,
        seller_id: SELLER,
        currency: 'EUR',
        rated: { billed_s: 60, seller_amount_micros: 12_000n, fee_amount_micros: 0n, premium_amount_micros: 0n, buyer_amount_micros: 12_000n },
      });
      expect(transaction?.postings).to.deep.equal([
        { account: { carrier_id: BUYER, kind: 'receivable', currency: 'EUR' }, amount_micros: 12_000n },
        { account: { carrier_id: SELLER, kind: 'payable', currency: 'EUR' }, amount_micros: -12_000n },
      ]);
    });

    it('posts nothing when the buyer pays nothing', () => {
      const transaction = cdrTransaction({
        call_id: 'unanswered',
        buyer_id: BUYER,
        seller_id: SELLER,
        currency: 'USD',
        rated: { billed_s: 0, seller_amount_micros: 0n, fee_amount_micros: 0n, premium_amount_micros: 0n, buyer_amount_micros: 0n },
      });
      expect(transaction).to.equal(null);
    });

    it('refuses a rating in which the buyer does not pay the seller plus the fee', () => {
      expect(() =>
        cdrTransaction({
          call_id: 'broken',
          buyer_id: BUYER,
          seller_id: SELLER,
          currency: 'USD',
          rated: { billed_s: 60, seller_amount_micros: 12_000n, fee_amount_micros: 600n, premium_amount_micros: 0n, buyer_amount_micros: 12_000n },
        }),
      ).to.throw(LedgerInvariantError);
    });
  });
  describe('cdrBatchTransaction', () => {
    const THIRD = '33333333-3333-3333-3333-333333333333';
    const rated = (buyer: bigint, seller: bigint) => ({ billed_s: 60, buyer_amount_micros: buyer, seller_amount_micros: seller, fee_amount_micros: buyer - seller, premium_amount_micros: 0n });
    const call = (call_id: string, buyer_id: string, seller_id: string, buyer: bigint, seller: bigint) =>
      cdrTransaction({ call_id, buyer_id, seller_id, currency: 'USD', rated: rated(buyer, seller) })!;

    it('sums the calls\' postings per account, to the micro-unit, and balances', () => {
      // A buys from B twice (12600 = 12000 + 600 fee; 6301 = 6001 + 300), B buys from C once (999 = 999 + 0).
      const drafts = [call('c1', BUYER, SELLER, 12_600n, 12_000n), call('c2', BUYER, SELLER, 6_301n, 6_001n), call('c3', SELLER, THIRD, 999n, 999n)];
      const batch = cdrBatchTransaction('k1', drafts);
      const byAccount = Object.fromEntries(batch.postings.map((one) => [`${one.account.carrier_id ?? 'exchange'}:${one.account.kind}`, one.amount_micros]));
      expect(byAccount).to.deep.equal({
        [`${BUYER}:receivable`]: 18_901n,
        [`${SELLER}:payable`]: -18_001n,
        [`${SELLER}:receivable`]: 999n,
        [`${THIRD}:payable`]: -999n,
        'exchange:revenue': -900n,
      });
      expect(batch.kind).to.equal('cdr_batch');
      expect(() => assertBalanced(batch)).not.to.throw();
    });

    it('takes the key its caller gives the batch', () => {
      const drafts = [call('c1', BUYER, SELLER, 100n, 90n), call('c2', BUYER, SELLER, 50n, 45n)];
      expect(cdrBatchTransaction('abc', drafts).idempotency_key).to.equal('cdr-batch:abc');
    });

    it('leaves a batch of one call as that call\'s own transaction', () => {
      const only = call('solo@test', BUYER, SELLER, 100n, 90n);
      expect(cdrBatchTransaction('solo', [only])).to.equal(only);
      expect(() => cdrBatchTransaction('none', [])).to.throw(LedgerInvariantError);
    });
  });
});
