/** Orders and trades. The skeleton's operator places orders on a carrier's behalf. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros } from '../../../common/money.ts';
import { parseOrderInput } from '../../exchange/order-input.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { CurrencyCode, DecimalAmount, IdParams, Uuid } from '../schemas.ts';

const OrderBody = Type.Object(
  {
    carrier_id: Uuid,
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    prefix: Type.String({ pattern: '^[0-9]{1,15}$', description: 'a prefix of the destination' }),
    price_per_minute: DecimalAmount,
    currency: CurrencyCode,
    increments: Type.String({ description: 'first/next billing increments in seconds, e.g. 60/60, 30/6, 1/1' }),
    connect_fee: Type.Optional(DecimalAmount),
    channels: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    client_order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    quality: Type.Optional(Type.Object({
      asr_percent: Type.Integer({ minimum: 0, maximum: 100 }),
      acd_s: Type.Integer({ minimum: 0 }),
      pdd_ms: Type.Integer({ minimum: 0 }),
    }, { additionalProperties: false })),
    valid_until: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object({ carrier_id: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) });

interface OrderRow {
  id: string; carrier_id: string; side: string; destination_id: string; currency: string; price_per_minute_micros: bigint;
  first_increment_s: number; next_increment_s: number; connect_fee_micros: bigint; channels: number; channels_open: number;
  status: string; client_order_id: string | null; created_at: Date; valid_until: Date | null;
}

interface TradeRow {
  id: string; buy_order_id: string; sell_order_id: string; buyer_id: string; seller_id: string; destination_id: string; currency: string;
  price_per_minute_micros: bigint; first_increment_s: number; next_increment_s: number; connect_fee_micros: bigint; channels: number;
  status: string; created_at: Date;
}

function orderJson(row: OrderRow) {
  const currency = row.currency.trim();
  return {
    id: row.id, carrier_id: row.carrier_id, side: row.side, destination_id: row.destination_id, currency,
    price_per_minute: formatMicros(row.price_per_minute_micros, currency), increments: `${row.first_increment_s}/${row.next_increment_s}`,
    connect_fee: formatMicros(row.connect_fee_micros, currency), channels: row.channels, channels_open: row.channels_open, status: row.status,
    client_order_id: row.client_order_id, created_at: row.created_at.toISOString(), valid_until: row.valid_until?.toISOString() ?? null,
  };
}

export function tradeJson(row: TradeRow) {
  const currency = row.currency.trim();
  return {
    id: row.id, buy_order_id: row.buy_order_id, sell_order_id: row.sell_order_id, buyer_id: row.buyer_id, seller_id: row.seller_id,
    destination_id: row.destination_id, currency, price_per_minute: formatMicros(row.price_per_minute_micros, currency),
    increments: `${row.first_increment_s}/${row.next_increment_s}`, connect_fee: formatMicros(row.connect_fee_micros, currency),
    channels: row.channels, status: row.status, created_at: row.created_at.toISOString(),
  };
}

const REASON_STATUS: Record<string, number> = { unknown_carrier: 400, unknown_destination: 400, carrier_suspended: 403, credit_not_approved: 403, rejected: 400 };

export function registerOrderRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post('/v1/orders', { schema: { tags: ['exchange'], body: OrderBody } }, async (request, reply) => {
    const parsed = parseOrderInput(request.body, Date.now());
    if (!parsed.ok) throw badRequest(parsed.reason, parsed.message);
    const outcome = await deps.exchange.submit(parsed.order, request.principal?.name ?? 'unknown');
    if (!outcome.ok) throw new ApiError(REASON_STATUS[outcome.reason] ?? 400, outcome.reason, outcome.message);
    const order = await deps.db.one<OrderRow>('select * from orders where id = $1', [outcome.order_id]);
    const trades = outcome.trade_ids.length === 0 ? [] : await deps.db.any<TradeRow>('select * from trades where id in ($1:csv) order by created_at', [outcome.trade_ids]);
    if (trades.length > 0) deps.snapshots.invalidate();
    return reply.status(outcome.duplicate ? 200 : 201).send({ order: orderJson(order), trades: trades.map(tradeJson), duplicate: outcome.duplicate });
  });

  api.get('/v1/orders', { schema: { tags: ['exchange'], querystring: ListQuery } }, async (request) => {
    const rows = await deps.db.any<OrderRow>('select * from orders where ($1::uuid is null or carrier_id = $1) order by seq desc limit $2', [request.query.carrier_id ?? null, request.query.limit ?? 100]);
    return { orders: rows.map(orderJson) };
  });

  api.get('/v1/orders/:id', { schema: { tags: ['exchange'], params: IdParams } }, async (request) => {
    const row = await deps.db.oneOrNone<OrderRow>('select * from orders where id = $1', [request.params.id]);
    if (!row) throw notFound('unknown order');
    return orderJson(row);
  });

  api.delete('/v1/orders/:id', { schema: { tags: ['exchange'], params: IdParams } }, async (request) => {
    const outcome = await deps.exchange.cancel(request.params.id, null, request.principal?.name ?? 'unknown');
    if (!outcome.ok && outcome.reason === 'not_found') throw notFound('unknown order');
    if (!outcome.ok) throw new ApiError(409, 'already_closed', 'the order is already closed');
    deps.snapshots.invalidate();
    return { id: request.params.id, status: 'cancelled' };
  });

  api.get('/v1/trades', { schema: { tags: ['exchange'], querystring: ListQuery } }, async (request) => {
    const rows = await deps.db.any<TradeRow>(
      'select * from trades where ($1::uuid is null or buyer_id = $1 or seller_id = $1) order by created_at desc limit $2',
      [request.query.carrier_id ?? null, request.query.limit ?? 100]);
    return { trades: rows.map(tradeJson) };
  });
}
