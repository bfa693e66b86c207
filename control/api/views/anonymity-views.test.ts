import { expect } from 'chai';
import type { LiveCall } from '../../core/cdr.ts';
import type { Leg } from '../../core/routing.ts';
import { CounterpartyAliases, sellerNumberForm } from '../anonymity.ts';
import { carrierCdrJson, type CdrRow } from './cdrs.ts';
import { carrierLiveCallJson } from './live-calls.ts';
import { callFrames } from './stream.ts';

const BUYER = '11111111-1111-4111-8111-111111111111';
const SELLER = '22222222-2222-4222-8222-222222222222';
const TRADE = '33333333-3333-4333-8333-333333333333';
const CALL_ID = '8f2a-17@sbc.buyer-telecom.example';
const aliases = new CounterpartyAliases(Buffer.from('view test secret'));

const ROW: CdrRow = {
  call_id: CALL_ID, buyer_id: BUYER, seller_id: SELLER, trade_id: TRADE, dialled_number: '0099442079460000', buyer_tech_prefix: '0099',
  destination_id: null, destination_name: 'UK', legs: [{ seller_id: SELLER, trunk_id: 't-seller', trade_id: TRADE, sip_code: 200 }],
  setup_at: new Date(0), ring_at: null, answer_at: new Date(1000), end_at: new Date(61_000), duration_ms: 60_000n, final_sip_code: 200,
  final_reason: 'normal', ended_by: 'caller', currency: 'USD', billed_s: 60, buyer_amount_micros: 13_200n, seller_amount_micros: 12_000n,
  fee_amount_micros: 1_200n, rated_at: new Date(), ledger_transaction_id: 1n, price_per_minute_micros: 12_000n, first_increment_s: 1,
  next_increment_s: 1, connect_fee_micros: 0n, fee_per_minute_micros: 1_200n, premium_bps: 0, premium_amount_micros: 0n, billing_status: 'rated', quarantine_reason: null, quarantined_at: null,
};

const LIVE: LiveCall = {
  call_id: CALL_ID, buyer_id: BUYER, ingress_trunk_id: 't-buyer', dialled_number: '0099442079460000', number: '442079460000', destination_id: 'd',
  legs: [{ leg: { trade: { id: TRADE, seller_id: SELLER } } as unknown as Leg, sip_code: 200 }], state: 'answered', setup_us: 0n, ring_us: null,
  answer_us: 1000n, answered_leg: 0, current_leg: 0, end_reason: null, dialog: null, fee_per_minute_micros: 1_200n,
};

describe('each side sees only its own side of a call', () => {
  it('shows the seller the leg id, the number it received and its own amount, nothing of the buyer', () => {
    const view = carrierCdrJson(ROW, SELLER, aliases);
    const text = JSON.stringify(view);
    expect(view.call_id).to.equal(aliases.legId(CALL_ID)).and.to.match(/^leg_/);
    expect(view.dialled_number).to.equal('442079460000');
    expect(view).to.include({ seller_amount: '0.012000', buyer_id: aliases.alias(TRADE, BUYER) });
    for (const secret of [CALL_ID, 'buyer-telecom', '0099', BUYER, '0.013200', '0.001200']) expect(text).to.not.include(secret);
    expect(view).to.not.have.any.keys('buyer_amount', 'fee_amount');
  });

  it('shows the buyer its Call-ID, the number it dialled and what it pays, not what the seller is paid', () => {
    const view = carrierCdrJson(ROW, BUYER, aliases);
    expect(view).to.include({ call_id: CALL_ID, dialled_number: '0099442079460000', buyer_amount: '0.013200', seller_id: aliases.alias(TRADE, SELLER) });
    expect(view).to.not.have.any.keys('seller_amount', 'fee_amount');
    expect(JSON.stringify(view)).to.not.include(SELLER).and.not.include('t-seller');
  });

  it('does the same for live calls and the stream', () => {
    const sellerCall = carrierLiveCallJson(LIVE, SELLER, aliases)!;
    expect(sellerCall).to.include({ call_id: aliases.legId(CALL_ID), number: '442079460000' });
    expect(JSON.stringify(sellerCall)).to.not.include(CALL_ID).and.not.include(BUYER).and.not.include('0099');
    expect(carrierLiveCallJson(LIVE, BUYER, aliases)).to.include({ call_id: CALL_ID, number: '0099442079460000' });
    const cdr = { call_id: CALL_ID, buyer_id: BUYER, seller_id: SELLER, trade_id: TRADE, final_sip_code: 200, duration_ms: 60_000n };
    const update = { kind: 'cdr_written', cdr } as unknown as Parameters<typeof callFrames>[0];
    const [frame] = callFrames(update, { kind: 'carrier', carrier_id: SELLER } as Parameters<typeof callFrames>[1], aliases);
    expect(JSON.stringify(frame, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))).to.not.include(CALL_ID).and.not.include(BUYER);
  });

  it('strips only a tech prefix the number starts with', () => {
    expect(sellerNumberForm('0099123', '0099')).to.equal('123');
    expect(sellerNumberForm('123', '0099')).to.equal('123');
    expect(sellerNumberForm('123', null)).to.equal('123');
  });
});
