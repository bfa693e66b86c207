/** Trades: an operator sees every trade with both sides; a carrier its own, the other side as an alias. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { carrierScope, principalOf } from '../access.ts';
import { TradeReader } from '../../store/trades.ts';
import type { RouteContext } from '../route-context.ts';
import { Uuid } from '../schemas.ts';
import { tradeViewFor } from '../views/trades.ts';

const TradeQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  status: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('ended')])),
  destination_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export function registerTradeRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const trades = new TradeReader(context.db);

  api.get('/v1/trades', { schema: { tags: ['exchange'], querystring: TradeQuery } }, async (request) => {
    const query = request.query;
    const carrier_id = carrierScope(request) ?? query.carrier_id ?? null;
    const rows = await trades.trades({ carrier_id, status: query.status ?? null, destination_id: query.destination_id ?? null, limit: query.limit ?? 100 });
    return { trades: rows.map(tradeViewFor(principalOf(request), context.aliases)) };
  });
}
