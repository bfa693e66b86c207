/**
 * Orders: submit, list, read, amend, cancel. A carrier works on its own orders only (another's
 * order answers 404); an operator on any, placing orders on a carrier's behalf with `carrier_id`.
 * The exchange tells the routing snapshot about the trades these make or end (see system.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseDecimalToMicros } from '../../../common/money.ts';
import type { AmendChanges } from '../../exchange/exchange.ts';
import { isChannelCount, MAX_CHANNELS, parseOrderInput } from '../../exchange/order-input.ts';
import { OrderReader } from '../../store/orders.ts';
import { actorOf, carrierScope, principalOf } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { IdParams, moneyString, Uuid } from '../schemas.ts';
import { orderEventJson, orderJson, type OrderRow } from '../views/orders.ts';
import { tradeViewFor, type TradeRow } from '../views/trades.ts';

// Price, amounts, channels and validity are checked by parseOrderInput rather than by the schema,
// so each bad value gets its own reason code (invalid_price, invalid_channels, ...).
const Decimal = (description: string) => moneyString({ maxLength: 40, description });
const Channels = (description: string) => Type.Unknown({ description: `${description}: a whole number from 1 to ${MAX_CHANNELS}`, examples: [10] });

const OrderBody = Type.Object(
  {
    carrier_id: Type.Optional(Type.String({ format: 'uuid', description: "the carrier the order is for: an operator's orders need it; a carrier's may omit it" })),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    prefix: Type.String({ pattern: '^[0-9]{1,15}$', description: 'a prefix of the destination' }),
    price_per_minute: Decimal("the seller's ask or the buyer's cap, per minute, at most 6 decimals"),
    currency: Type.String({ maxLength: 3, description: 'ISO 4217 currency code', examples: ['USD'] }),
    increments: Type.String({ maxLength: 20, description: 'first/next billing increments in seconds, e.g. 60/60, 30/6, 1/1' }),
    connect_fee: Type.Optional(Decimal('the fee per connected call (a buy: the most it accepts)')),
    channels: Channels('concurrent calls'),
    client_order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the carrier's own reference: the same one twice makes one order" })),
    quality: Type.Optional(Type.Object({
      asr_percent: Type.Integer({ minimum: 0, maximum: 100 }),
      acd_s: Type.Integer({ minimum: 0 }),
      pdd_ms: Type.Integer({ minimum: 0 }),
    }, { additionalProperties: false, description: 'a sell: the quality it commits to; a buy: the floor it needs' })),
    valid_until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time after which the order no longer trades; absent: good till cancelled' })),
  },
  { additionalProperties: false },
);
const AmendBody = Type.Object(
  {
    price_per_minute: Type.Optional(Decimal('the new price per minute')),
    channels: Type.Optional(Channels('the new total of concurrent calls, filled channels included')),
  },
  { additionalProperties: false },
);
const OrderStatus = Type.Union([Type.Literal('open'), Type.Literal('filled'), Type.Literal('cancelled'), Type.Literal('expired')]);
const ListQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  status: Type.Optional(OrderStatus),
  side: Type.Optional(Type.Union([Type.Literal('buy'), Type.Literal('sell')])),
  destination_id: Type.Optional(Uuid),
  prefix: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'orders of the destination with this prefix' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

const SUBMIT_STATUS: Record<string, number> = { unknown_carrier: 400, unknown_destination: 400, carrier_suspended: 403, credit_not_approved: 403, credit_assessment_required: 403, credit_refused: 403, credit_limit_reached: 403, rejected: 400 };
const AMEND_STATUS: Record<string, number> = { not_found: 404, already_closed: 409, channels_below_filled: 400, nothing_to_amend: 400, rejected: 400 };

/** The carrier an order is placed for: a carrier places its own; an operator names one. */
function orderCarrier(request: FastifyRequest, carrier_id: string | undefined): string {
  const scope = carrierScope(request);
  if (scope === null) {
    if (carrier_id === undefined) throw badRequest('invalid_request', 'carrier_id is required when an operator places an order');
    return carrier_id;
  }
  if (carrier_id !== undefined && carrier_id !== scope) throw new ApiError(403, 'forbidden', 'a carrier places orders for itself only');
  return scope;
}

function amendChanges(body: { price_per_minute?: string; channels?: unknown }): AmendChanges {
  let price: bigint | undefined;
  if (body.price_per_minute !== undefined) {
    try {
      price = parseDecimalToMicros(body.price_per_minute);
    } catch {
      throw badRequest('invalid_price', 'price_per_minute must be a decimal string with at most 6 decimals, of at most 1000000000000 units');
    }
    if (price <= 0n) throw badRequest('invalid_price', 'price_per_minute must be greater than zero');
  }
  if (body.channels !== undefined && !isChannelCount(body.channels)) throw badRequest('invalid_channels', `channels must be a whole number from 1 to ${MAX_CHANNELS}`);
  if (price === undefined && body.channels === undefined) throw badRequest('nothing_to_amend', 'give a new price_per_minute or channels');
  return { ...(price === undefined ? {} : { price_per_minute_micros: price }), ...(body.channels === undefined ? {} : { channels: body.channels }) };
}

export function registerOrderRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { exchange } = context;
  const orders = new OrderReader(context.db);

  /** An order of the requesting carrier (any, for an operator), or 404. */
  const visibleOrder = async (request: FastifyRequest, order_id: string): Promise<OrderRow> => {
    const row = await orders.order(order_id, carrierScope(request));
    if (!row) throw notFound('unknown order');
    return row;
  };
  /** An order as it stands now, for the outcomes that do not carry its row (a duplicate, an amend that stored nothing). */
  const currentOrder = async (order_id: string): Promise<OrderRow> => {
    const row = await orders.order(order_id);
    if (!row) throw notFound('unknown order');
    return row;
  };
  const tradesJson = (request: FastifyRequest, trades: readonly TradeRow[]) => trades.map(tradeViewFor(principalOf(request), context.aliases));

  api.post('/v1/orders', { schema: { tags: ['exchange'], body: OrderBody } }, async (request, reply) => {
    const carrier_id = orderCarrier(request, request.body.carrier_id);
    // A buyer the overdue policy blocks places no new buy orders until it has paid.
    if (request.body.side === 'buy' && context.overdue?.blocks.isBlocked(carrier_id)) {
      throw new ApiError(403, 'account_past_due', 'the account is past due: new buy orders are refused until it is paid; nothing was changed');
    }
    const parsed = parseOrderInput({ ...request.body, carrier_id }, Date.now());
    if (!parsed.ok) throw badRequest(parsed.reason, parsed.message);
    const outcome = await exchange.submit(parsed.order, actorOf(request));
    if (!outcome.ok) throw new ApiError(SUBMIT_STATUS[outcome.reason] ?? 400, outcome.reason, outcome.message);
    // The exchange returns the rows it wrote; a duplicate's order is read as it stands now.
    const order = outcome.order ?? await currentOrder(outcome.order_id);
    return reply.status(outcome.duplicate ? 200 : 201).send({ order: orderJson(order), trades: tradesJson(request, outcome.trades), duplicate: outcome.duplicate });
  });

  api.get('/v1/orders', { schema: { tags: ['exchange'], querystring: ListQuery } }, async (request) => {
    const query = request.query;
    const carrier_id = carrierScope(request) ?? query.carrier_id ?? null;
    const rows = await orders.orders({
      carrier_id, status: query.status ?? null, side: query.side ?? null, destination_id: query.destination_id ?? null, prefix: query.prefix ?? null, limit: query.limit ?? 100,
    });
    return { orders: rows.map(orderJson) };
  });

  api.get('/v1/orders/:id', { schema: { tags: ['exchange'], params: IdParams } }, async (request) => {
    const row = await visibleOrder(request, request.params.id);
    const history = await orders.history(row.id);
    return { ...orderJson(row), history: history.map(orderEventJson) };
  });

  api.patch('/v1/orders/:id', { schema: { tags: ['exchange'], params: IdParams, body: AmendBody } }, async (request) => {
    const changes = amendChanges(request.body);
    const outcome = await exchange.amend(request.params.id, carrierScope(request), changes, actorOf(request));
    if (!outcome.ok) throw new ApiError(AMEND_STATUS[outcome.reason] ?? 400, outcome.reason, outcome.message);
    const order = outcome.order ?? await currentOrder(request.params.id);
    return { order: orderJson(order), priority_lost: outcome.priority_lost, trades: tradesJson(request, outcome.trades) };
  });

  api.delete('/v1/orders/:id', { schema: { tags: ['exchange'], params: IdParams } }, async (request) => {
    const outcome = await exchange.cancel(request.params.id, carrierScope(request), actorOf(request));
    if (!outcome.ok && outcome.reason === 'not_found') throw notFound('unknown order');
    if (!outcome.ok) throw new ApiError(409, 'already_closed', 'the order is already closed');
    return { id: request.params.id, status: 'cancelled' };
  });
}
