/**
 * CSV uploads (`Content-Type: text/csv`): an operator's destination table, and a seller's rate
 * deck. A file with any bad line is refused whole, with every bad line listed (`problems`), and
 * nothing is stored.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isCurrencyCode } from '../../../common/money.ts';
import { parseDestinationCsv, type CsvProblem } from '../../exchange/destination-csv.ts';
import { parseRateDeckCsv } from '../../exchange/rate-deck-csv.ts';
import { importDestinations } from '../../store/destination-import.ts';
import { actorOf, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { IdParams } from '../schemas.ts';

/** Largest rate deck upload we read, in bytes: 100,000 lines fit with room to spare. */
export const IMPORT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Largest destination table we read, in bytes: 1,000,000 lines of prefix and name fit. */
export const DESTINATION_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

const CsvBody = Type.String({ description: 'the CSV file (Content-Type: text/csv)' });
const DeckQuery = Type.Object({ currency: Type.Optional(Type.String({ maxLength: 3, description: "the deck's currency (default USD)" })) });

function refused(message: string, problems: readonly CsvProblem[]): ApiError {
  return new ApiError(400, 'invalid_csv', message, { problems });
}

export function registerImportRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post('/v1/destinations/import', { bodyLimit: DESTINATION_BODY_LIMIT_BYTES, schema: { tags: ['destinations'], body: CsvBody } }, async (request) => {
    requireOperator(request);
    const parsed = parseDestinationCsv(request.body);
    if (!parsed.ok) throw refused('the destination table has bad lines: nothing was imported', parsed.problems);
    const { import_id, destination_ids, ...counts } = await importDestinations(context.db, parsed.rows, actorOf(request));
    // The imported prefixes route calls once this node has them in memory; other nodes follow.
    await context.snapshots.imported(import_id, parsed.rows, destination_ids);
    return { lines: distinctLines(parsed.rows), ...counts };
  });

  api.post('/v1/carriers/:id/rate-decks', {
    bodyLimit: IMPORT_BODY_LIMIT_BYTES, schema: { tags: ['exchange'], params: IdParams, querystring: DeckQuery, body: CsvBody },
  }, async (request, reply) => {
    requireOwnCarrier(request, request.params.id);
    const currency = request.query.currency ?? 'USD';
    if (!isCurrencyCode(currency)) throw badRequest('invalid_currency', 'currency must be an ISO 4217 code');
    const parsed = parseRateDeckCsv(request.body, Date.now());
    if (!parsed.ok) throw refused('the rate deck has bad lines: nothing was changed', parsed.problems);
    const outcome = await context.exchange.replaceRateDeck(request.params.id, currency, parsed.lines, actorOf(request));
    if (!outcome.ok && outcome.reason === 'unknown_carrier') throw notFound('unknown carrier');
    if (!outcome.ok && outcome.reason === 'carrier_suspended') throw new ApiError(403, 'carrier_suspended', outcome.message);
    if (!outcome.ok) throw refused(`${outcome.message}: nothing was changed`, outcome.reason === 'invalid_rows' ? outcome.problems : []);
    return reply.status(201).send({
      rate_deck_id: outcome.rate_deck_id, currency, orders_submitted: outcome.orders_submitted,
      orders_cancelled: outcome.orders_cancelled, trades_made: outcome.trade_ids.length,
    });
  });
}

/** Lines that gave prefixes: rows come in line order, a line with several prefixes gives several rows. */
function distinctLines(rows: readonly { readonly line: number }[]): number {
  let lines = 0;
  let previous = -1;
  for (const row of rows) {
    if (row.line !== previous) lines += 1;
    previous = row.line;
  }
  return lines;
}
