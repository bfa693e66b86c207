import { expect } from 'chai';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CdrRecord } from '../cdr.ts';
import { QualityBook } from './quality-book.ts';
import { classifyAnswer, EXCHANGE_SCOPE, samplesOfCdr, type QualitySample } from './quality-sample.ts';
import { measureQuality, type MinuteRow } from './quality-stream.ts';

const OPTIONS = { short_call_ms: 6000, watchListed: (number: string) => number.startsWith('882') };
const SELLER_A = { kind: 'seller_destination', id: 'seller-a', destination_id: 'uk' } as const;
const SELLER_B = { kind: 'seller_destination', id: 'seller-b', destination_id: 'uk' } as const;
const BUYER = { kind: 'buyer_destination', id: 'buyer', destination_id: 'uk' } as const;

/** A CDR: times in ms after setup (ring, answer), the talk time, the legs' answers. */
function cdr(call_id: string, spec: { ring?: number; answer?: number; talk_ms?: number; code: number; legs: Array<[string, number]>; by?: CdrRecord['ended_by']; number?: string; reason?: string }): CdrRecord {
  const setup_us = 1_000_000_000n;
  const answered = spec.answer !== undefined;
  const at = (ms: number | undefined) => (ms === undefined ? null : setup_us + BigInt(ms) * 1000n);
  return {
    call_id, buyer_id: 'buyer', seller_id: null, ingress_trunk_id: 'in-1', egress_trunk_id: null, trade_id: null,
    dialled_number: spec.number ?? '442071234567', destination_id: 'uk',
    legs: spec.legs.map(([seller, sip_code]) => ({ seller_id: seller, trunk_id: `out-${seller}`, trade_id: `t-${seller}`, sip_code })),
    setup_us, ring_us: at(spec.ring), answer_us: at(spec.answer), end_us: setup_us, duration_ms: BigInt(spec.talk_ms ?? 0),
    final_sip_code: spec.code, final_reason: spec.reason ?? (answered ? 'hung up by caller' : `not answered: ${spec.code}`), ended_by: spec.by ?? (answered ? 'caller' : 'not_answered'), terms: null,
  };
}

/** Ten calls whose figures are computed by hand below. */
const CALLS: CdrRecord[] = [
  // 1. A answers: PDD 2,000 ms, 120 s.
  cdr('c1', { ring: 2000, answer: 5000, talk_ms: 120_000, code: 200, legs: [['seller-a', 200]] }),
  // 2. A answers without ringing first: PDD 4,000 ms (to the answer), 60 s, cut by the switch.
  cdr('c2', { answer: 4000, talk_ms: 60_000, code: 200, legs: [['seller-a', 200]], by: 'switch' }),
  // 3. A answers, a short call of 3 s: PDD 1,000 ms.
  cdr('c3', { ring: 1000, answer: 2000, talk_ms: 3000, code: 200, legs: [['seller-a', 200]] }),
  // 4. A busy (486): NER-effective, PDD none (never rang).
  cdr('c4', { code: 486, legs: [['seller-a', 486]] }),
  // 5. A rings, no answer (487 after ringing): NER-effective, PDD 3,000 ms.
  cdr('c5', { ring: 3000, code: 487, legs: [['seller-a', 487]] }),
  // 6. A: unallocated number (404): terminal reject, NER-effective.
  cdr('c6', { code: 404, legs: [['seller-a', 404]] }),
  // 7. A fails (503), B answers after ringing at 2,500 ms: A failure; B answered, 30 s.
  cdr('c7', { ring: 2500, answer: 3500, talk_ms: 30_000, code: 200, legs: [['seller-a', 503], ['seller-b', 200]] }),
  // 8. A fails with 503 and nothing else.
  cdr('c8', { code: 503, legs: [['seller-a', 503]] }),
  // 9. A times out before ringing (408): a network failure.
  cdr('c9', { code: 408, legs: [['seller-a', 408]] }),
  // 10. Refused at setup for credit, to a watch-listed number: no leg.
  cdr('c10', { code: 402, legs: [], number: '88213456', reason: 'rejected: no credit' }),
];

function samplesAt(at_ms: number, records: CdrRecord[]): QualitySample[] {
  return records.flatMap((record) => samplesOfCdr(record, at_ms, OPTIONS));
}

describe('quality: E.425 classes', () => {
  it('classes SIP answers', () => {
    expect([200, 486, 600, 480, 404, 484, 503, 403].map((code) => classifyAnswer(code, false)))
      .to.deep.equal(['answered', 'busy', 'busy', 'no_answer', 'terminal_reject', 'terminal_reject', 'failure', 'failure']);
    expect(classifyAnswer(487, true)).to.equal('no_answer');
    expect(classifyAnswer(487, false)).to.equal('failure');
    expect(classifyAnswer(408, false)).to.equal('failure');
  });
});

describe('quality book: hand-computed figures', () => {
  it('measures seller A over nine attempts', () => {
    const book = new QualityBook();
    for (const sample of samplesAt(1_000, CALLS)) book.record(sample);
    const a = book.stats(SELLER_A, 1_000);
    // Attempts: c1..c9 (c7 counts A's failed leg) = 9. Answered: c1, c2, c3 = 3.
    expect(a.attempts).to.equal(9);
    expect(a.answered).to.equal(3);
    expect(a.asr).to.be.closeTo(3 / 9, 1e-9);
    // ACD: (120 + 60 + 3) / 3 = 61 s.
    expect(a.acd_s).to.be.closeTo(61, 1e-9);
    // NER: answered 3 + busy (c4) + no answer (c5) + terminal reject (c6) = 6 of 9.
    expect(a.ner).to.be.closeTo(6 / 9, 1e-9);
    // PDD: c1 2000, c2 4000, c3 1000, c5 3000 (c7's ringing was B's) = 10,000 / 4 = 2,500 ms.
    expect(a.pdd_ms).to.be.closeTo(2500, 1e-9);
    // Short calls: c3 (3 s < 6 s) of 3 answered.
    expect(a.short_call_ratio).to.be.closeTo(1 / 3, 1e-9);
    expect(a.cutoffs).to.equal(1);
    expect(a.rejects).to.deep.equal({ 'sip 486': 1, 'sip 487': 1, 'sip 404': 1, 'sip 503': 2, 'sip 408': 1 });
    // CPS over the 5 minute window: 9 / 300.
    expect(a.cps).to.be.closeTo(9 / 300, 1e-9);
  });

  it('measures seller B, the buyer and the exchange', () => {
    const book = new QualityBook();
    for (const sample of samplesAt(1_000, CALLS)) book.record(sample);
    const b = book.stats(SELLER_B, 1_000);
    expect([b.attempts, b.answered, b.acd_s, b.pdd_ms]).to.deep.equal([1, 1, 30, 2500]);
    // The buyer: 10 calls, 4 answered (c1, c2, c3, c7); NER: 4 + c4 + c5 + c6 = 7 of 10.
    const buyer = book.stats(BUYER, 1_000);
    expect([buyer.attempts, buyer.answered]).to.deep.equal([10, 4]);
    expect(buyer.ner).to.be.closeTo(0.7, 1e-9);
    // ACD: (120 + 60 + 3 + 30) / 4 = 53.25 s. PDD: 2000, 4000, 1000, 3000, 2500 → 2,500 ms.
    expect(buyer.acd_s).to.be.closeTo(53.25, 1e-9);
    expect(buyer.pdd_ms).to.be.closeTo(2500, 1e-9);
    expect(buyer.rejects['rejected: no credit']).to.equal(1);
    expect(buyer.watch_listed).to.equal(1);
    expect(book.stats(EXCHANGE_SCOPE, 1_000).attempts).to.equal(10);
    expect(book.stats({ kind: 'trunk', id: 'out-seller-a', destination_id: '' }, 1_000).attempts).to.equal(9);
  });

  it('slides: the 5 minute window lets old calls go, the hour keeps them', () => {
    const book = new QualityBook();
    // Two answered calls at t = 0 s, then two failures at t = 290 s.
    for (const sample of samplesAt(0, [CALLS[0]!, CALLS[1]!])) book.record(sample);
    for (const sample of samplesAt(290_000, [CALLS[7]!, CALLS[8]!])) book.record(sample);
    expect(book.stats(SELLER_A, 295_000).asr).to.equal(0.5);
    // At 310 s the first bucket (0..10 s) has left the 5 minute window, not the hour.
    expect(book.stats(SELLER_A, 310_000).asr).to.equal(0);
    expect(book.stats(SELLER_A, 310_000).attempts).to.equal(2);
    expect(book.stats(SELLER_A, 310_000, 1).asr).to.equal(0.5);
    // After an hour and 5 minutes nothing is left, and the scope leaves memory.
    expect(book.stats(SELLER_A, 3_900_000, 1).attempts).to.equal(0);
    book.prune(3_900_000);
    expect(book.size).to.equal(0);
  });
});

describe('quality stream (virtual time)', () => {
  it('records into the book as calls end and writes per-minute rows each minute', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    scheduler.run(({ cold, flush }) => {
      const book = new QualityBook();
      // Calls end at 10 s (c1), 20 s (c4) and 70 s (c8), virtual time.
      const ends = cold<CdrRecord>('10000ms a 9999ms b 49999ms c', { a: CALLS[0]!, b: CALLS[3]!, c: CALLS[7]! });
      const samples = new Subject<QualitySample>();
      const rows: MinuteRow[][] = [];
      measureQuality(samples, book, 60_000, scheduler).subscribe((group) => rows.push(group));
      ends.subscribe((record) => {
        for (const sample of samplesOfCdr(record, scheduler.now(), OPTIONS)) samples.next(sample);
      });
      // The stream ends at 130 s (bufferTime's timer would run forever in virtual time otherwise).
      scheduler.schedule(() => samples.complete(), 130_000);
      scheduler.schedule(() => {
        // At 30 s, before any flush, the book already has both calls.
        expect(book.stats(SELLER_A, 30_000).asr).to.equal(0.5);
        expect(rows).to.have.length(0);
      }, 30_000);
      flush();
      expect(rows).to.have.length(2);
      const first = rows[0]!.find((row) => row.scope.kind === 'seller_destination')!;
      expect([first.minute_ms, first.counts.attempts, first.counts.answered, first.counts.talk_ms]).to.deep.equal([0, 2, 1, 120_000]);
      const second = rows[1]!.find((row) => row.scope.kind === 'seller_destination')!;
      expect([second.minute_ms, second.counts.attempts, second.counts.answered]).to.deep.equal([60_000, 1, 0]);
    });
  });
});
