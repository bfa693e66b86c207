/**
 * Market data for every member, without identities: a destination's book depth per price level
 * (price, open channels, number of orders), best bid and ask, and the last trades (price,
 * channels, time). No carrier, order or trade id appears.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros, isCurrencyCode } from '../../../common/money.ts';
import type { PriceLevelView } from '../../core/matching/types.ts';
import { MarketDataReader } from '../../store/market-data.ts';
import { badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';

const MarketParams = Type.Object({ prefix: Type.String({ pattern: '^[0-9]{1,15}$', description: 'a prefix of the destination' }) });
const MarketQuery = Type.Object({
  currency: Type.Optional(Type.String({ maxLength: 3, description: 'the book\'s currency (default USD)' })),
  depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'price levels per side' })),
  trades: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 20, description: 'how many of the last trades' })),
});

export function registerMarketRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const market = new MarketDataReader(context.db);

  api.get('/v1/market/:prefix', { schema: { tags: ['exchange'], params: MarketParams, querystring: MarketQuery } }, async (request) => {
    const currency = request.query.currency ?? 'USD';
    if (!isCurrencyCode(currency)) throw badRequest('invalid_currency', 'currency must be an ISO 4217 code');
    const destination = await market.destinationByPrefix(request.params.prefix);
    if (!destination) throw notFound('no destination has this prefix');
    const book = await context.exchange.book(destination.id, currency, request.query.depth ?? 20);
    const trades = await market.lastTrades(destination.id, currency, request.query.trades ?? 20);
    const level = (view: PriceLevelView) => ({ price_per_minute: formatMicros(view.price_per_minute_micros, currency), channels: view.channels, orders: view.orders });
    const price = (micros: bigint | null) => (micros === null ? null : formatMicros(micros, currency));
    return {
      destination: { id: destination.id, name: destination.name },
      currency,
      best_bid: price(book.best_bid_micros),
      best_ask: price(book.best_ask_micros),
      bids: book.bids.map(level),
      asks: book.asks.map(level),
      last_trades: trades.map((trade) => ({ price_per_minute: formatMicros(trade.price_per_minute_micros, currency), channels: trade.channels, at: trade.created_at.toISOString() })),
    };
  });
}
