/** Trades: an operator sees every trade with both sides; a carrier its own, the other side as an alias. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { carrierScope, principalOf } from '../access.ts';
import type { RouteContext } from '../route-context.ts';
import { Uuid } from '../schemas.ts';
import { tradeViewFor, type TradeRow } from '../views/trades.ts';

const TradeQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  status: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('ended')])),
  destination_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export function registerTradeRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/v1/trades', { schema: { tags: ['exchange'], querystring: TradeQuery } }, async (request) => {
    const query = request.query;
    const carrier_id = carrierScope(request) ?? query.carrier_id ?? null;
    const rows = await context.db.any<TradeRow>(
      `select * from trades
       where ($1::uuid is null or buyer_id = $1 or seller_id = $1) and ($2::text is null or status = $2) and ($3::uuid is null or destination_id = $3)
       order by created_at desc, id limit $4`,
      [carrier_id, query.status ?? null, query.destination_id ?? null, query.limit ?? 100]);
    return { trades: rows.map(tradeViewFor(principalOf(request), context.aliases)) };
  });
}
