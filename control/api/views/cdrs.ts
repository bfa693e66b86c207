/**
 * CDRs as the API shows them. An operator sees every party and every leg. A carrier sees the CDRs
 * of its own calls: its buyer sees each seller tried only as an alias of the trade it was tried
 * on; its seller sees the buyer as an alias and only its own legs (who else the buyer tried is
 * the buyer's business). Trunk ids of the other side never appear. Each side sees its own money
 * only (the buyer what it pays, the seller what it is paid: the fee between them would give the
 * other's away), and the call as it knows it: the buyer by its Call-ID and the number it dialled,
 * the seller by the exchange's leg id and the number it received (without the buyer's tech prefix).
 */
import { formatMicros } from '../../../common/money.ts';
import { sellerNumberForm, type CounterpartyAliases } from '../anonymity.ts';
import type { Principal } from '../auth.ts';

export interface CdrRow {
  call_id: string;
  buyer_id: string | null;
  seller_id: string | null;
  trade_id: string | null;
  dialled_number: string;
  destination_id: string | null;
  destination_name: string | null;
  /** The tech prefix of the buyer's trunk (joined), to show the seller its own number form. */
  buyer_tech_prefix?: string | null;
  legs: unknown;
  setup_at: Date;
  ring_at: Date | null;
  answer_at: Date | null;
  end_at: Date;
  duration_ms: bigint;
  final_sip_code: number;
  final_reason: string;
  ended_by: string;
  currency: string | null;
  billed_s: number | null;
  buyer_amount_micros: bigint | null;
  seller_amount_micros: bigint | null;
  fee_amount_micros: bigint | null;
  rated_at: Date | null;
  ledger_transaction_id: bigint | null;
  price_per_minute_micros: bigint | null;
  first_increment_s: number | null;
  next_increment_s: number | null;
  connect_fee_micros: bigint | null;
  fee_per_minute_micros: bigint | null;
  premium_bps: number | null;
  premium_amount_micros: bigint | null;
  billing_status: 'pending' | 'rated' | 'quarantined';
  media_packets?: bigint | string | null;
  media_mos_x10?: number | null;
  media_packet_loss_pct?: number | null;
  media_jitter_ms?: number | null;
  quarantine_reason: string | null;
  quarantined_at: Date | null;
}

/** A leg as stored in `cdrs.legs`. */
interface StoredLeg {
  seller_id: string;
  trunk_id: string;
  trade_id: string;
  sip_code: number | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const money = (micros: bigint | null, currency: string | null) => (micros === null || currency === null ? null : formatMicros(micros, currency));

function common(row: CdrRow) {
  const currency = row.currency?.trim() ?? null;
  return {
    call_id: row.call_id,
    trade_id: row.trade_id,
    dialled_number: row.dialled_number,
    destination_id: row.destination_id,
    destination: row.destination_name,
    setup_at: iso(row.setup_at),
    ring_at: iso(row.ring_at),
    answer_at: iso(row.answer_at),
    end_at: iso(row.end_at),
    duration_ms: Number(row.duration_ms),
    final_sip_code: row.final_sip_code,
    final_reason: row.final_reason,
    ended_by: row.ended_by,
    currency,
    billed_s: row.billed_s,
    rated: row.rated_at !== null,
    posted: row.ledger_transaction_id !== null,
    billing_status: row.billing_status,
  };
}

/** The terms the CDR is rated with (stored on it), as an operator sees them. */
function terms(row: CdrRow, currency: string | null) {
  if (row.price_per_minute_micros === null) return null;
  return {
    price_per_minute: money(row.price_per_minute_micros, currency),
    first_increment_s: row.first_increment_s,
    next_increment_s: row.next_increment_s,
    connect_fee: money(row.connect_fee_micros, currency),
    fee_per_minute: money(row.fee_per_minute_micros, currency),
    risk_premium_bps: row.premium_bps ?? 0,
  };
}

function amounts(row: CdrRow) {
  const currency = row.currency?.trim() ?? null;
  return {
    buyer_amount: money(row.buyer_amount_micros, currency),
    seller_amount: money(row.seller_amount_micros, currency),
    fee_amount: money(row.fee_amount_micros, currency),
  };
}

/** What the media relay measured (operators: the NOC's quality work); null for direct media. */
function media(row: CdrRow) {
  if (row.media_packets === null || row.media_packets === undefined) return null;
  return {
    packets: Number(row.media_packets),
    mos: row.media_mos_x10 === null || row.media_mos_x10 === undefined ? null : row.media_mos_x10 / 10,
    packet_loss_pct: row.media_packet_loss_pct ?? null,
    jitter_ms: row.media_jitter_ms ?? null,
  };
}

/** The buyer's risk premium on this call: the buyer's own credit term, never shown to the seller. */
function premium(row: CdrRow) {
  return { risk_premium_bps: row.premium_bps ?? 0, premium_amount: money(row.premium_amount_micros, row.currency?.trim() ?? null) };
}

export function cdrJson(row: CdrRow) {
  return {
    ...common(row), ...amounts(row), ...premium(row), media: media(row), buyer_id: row.buyer_id, seller_id: row.seller_id, legs: row.legs, terms: terms(row, row.currency?.trim() ?? null),
    quarantine_reason: row.quarantine_reason, quarantined_at: iso(row.quarantined_at),
  };
}

/** One party's view; the caller makes sure `carrier_id` is the CDR's buyer or seller. */
export function carrierCdrJson(row: CdrRow, carrier_id: string, aliases: CounterpartyAliases) {
  const legs = Array.isArray(row.legs) ? (row.legs as StoredLeg[]) : [];
  const alias = (trade_id: string | null, counterparty_id: string | null) =>
    trade_id === null || counterparty_id === null ? null : aliases.alias(trade_id, counterparty_id);
  if (row.buyer_id === carrier_id) {
    return {
      ...common(row), buyer_amount: amounts(row).buyer_amount, ...premium(row), buyer_id: carrier_id, seller_id: alias(row.trade_id, row.seller_id),
      legs: legs.map((leg) => ({ seller_id: alias(leg.trade_id, leg.seller_id), trade_id: leg.trade_id, sip_code: leg.sip_code })),
    };
  }
  if (row.seller_id !== carrier_id) throw new Error(`CDR ${row.call_id} is not carrier ${carrier_id}'s`);
  return {
    ...common(row), call_id: aliases.legId(row.call_id), dialled_number: sellerNumberForm(row.dialled_number, row.buyer_tech_prefix ?? null),
    seller_amount: amounts(row).seller_amount, buyer_id: alias(row.trade_id, row.buyer_id), seller_id: carrier_id,
    legs: legs.filter((leg) => leg.seller_id === carrier_id).map((leg) => ({ seller_id: carrier_id, trunk_id: leg.trunk_id, trade_id: leg.trade_id, sip_code: leg.sip_code })),
  };
}

export function cdrViewFor(principal: Principal, aliases: CounterpartyAliases): (row: CdrRow) => object {
  return principal.kind === 'operator' ? cdrJson : (row) => carrierCdrJson(row, principal.carrier_id, aliases);
}
