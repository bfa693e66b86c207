/** CDRs, balances and the trial balance: what finance and the NOC read. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros } from '../../../common/money.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { notFound } from '../errors.ts';
import { IdParams, Uuid } from '../schemas.ts';

const CdrQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

interface CdrRow {
  call_id: string;
  buyer_id: string | null;
  seller_id: string | null;
  trade_id: string | null;
  dialled_number: string;
  destination_id: string | null;
  destination_name: string | null;
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
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const money = (micros: bigint | null, currency: string | null) => (micros === null || currency === null ? null : formatMicros(micros, currency));

export function cdrJson(row: CdrRow) {
  const currency = row.currency?.trim() ?? null;
  return {
    call_id: row.call_id,
    buyer_id: row.buyer_id,
    seller_id: row.seller_id,
    trade_id: row.trade_id,
    dialled_number: row.dialled_number,
    destination_id: row.destination_id,
    destination: row.destination_name,
    legs: row.legs,
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
    buyer_amount: money(row.buyer_amount_micros, currency),
    seller_amount: money(row.seller_amount_micros, currency),
    fee_amount: money(row.fee_amount_micros, currency),
    rated: row.rated_at !== null,
    posted: row.ledger_transaction_id !== null,
  };
}

export function registerReportRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/v1/cdrs', { schema: { tags: ['billing'], querystring: CdrQuery } }, async (request) => {
    const { carrier_id, limit = 100 } = request.query;
    const rows = await deps.db.any<CdrRow>(
      `select c.*, d.name as destination_name from cdrs c left join destinations d on d.id = c.destination_id
       where ($1::uuid is null or c.buyer_id = $1 or c.seller_id = $1)
       order by c.end_at desc, c.call_id limit $2`,
      [carrier_id ?? null, limit],
    );
    return { cdrs: rows.map(cdrJson) };
  });

  api.get('/v1/carriers/:id/balances', { schema: { tags: ['billing'], params: IdParams } }, async (request) => {
    const carrier = await deps.members.carrier(request.params.id);
    if (!carrier) throw notFound('unknown carrier');
    const balances = await deps.ledger.balances(carrier.id);
    return {
      carrier_id: carrier.id,
      balances: balances.map((balance) => ({ account: balance.kind, currency: balance.currency, balance: formatMicros(balance.balance_micros, balance.currency) })),
    };
  });

  api.get('/v1/ledger/trial-balance', { schema: { tags: ['billing'] } }, async () => {
    const totals = await deps.ledger.trialBalance();
    const mismatches = await deps.ledger.balanceMismatches();
    return {
      balanced: totals.every((total) => total.total_micros === 0n) && mismatches === 0,
      totals: totals.map((total) => ({ currency: total.currency, total: formatMicros(total.total_micros, total.currency) })),
      cached_balance_mismatches: mismatches,
    };
  });
}
