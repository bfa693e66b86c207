/**
 * The NOC's call search (operators only): finds calls by Call-ID, number or carrier name among the
 * live calls and the recent CDRs, and tells what happened and why (core in noc/call-search.ts).
 * Hanging up a call found here is `POST /v1/calls/{call_id}/hangup` (live.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { cdrStory, liveCallMatches, liveCallStory, type CdrRow } from '../../noc/call-search.ts';
import { requireOperator } from '../access.ts';
import type { RouteContext } from '../route-context.ts';

const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 256, pattern: '^[!-~ ]+$' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
}, { additionalProperties: false });
const DEFAULT_LIMIT = 50;

export function registerNocCallRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/v1/noc/calls/search', { schema: { tags: ['noc'], querystring: SearchQuery } }, async (request) => {
    requireOperator(request);
    const query = request.query.q.trim();
    const limit = request.query.limit ?? DEFAULT_LIMIT;
    const digits = query.replace(/^\+/, '');
    const byNumber = /^[0-9]{3,}$/.test(digits) ? digits : null;
    const carriers = await deps.db.any<{ id: string }>("select id from carriers where name ilike '%' || $1 || '%'", [query]);
    const carrierIds = new Set(carriers.map((row) => row.id));
    const live = deps.calls.liveCalls().filter((call) => liveCallMatches(call, query, carrierIds)).map(liveCallStory);
    const rows = await deps.db.any<CdrRow>(
      `select call_id, buyer_id, seller_id, dialled_number, legs, setup_at, answer_at, end_at, final_sip_code, final_reason, ended_by
         from cdrs
        where call_id = $<query> or ($<byNumber> is not null and dialled_number like '%' || $<byNumber> || '%')
           or buyer_id = any($<carrierIds>::uuid[]) or seller_id = any($<carrierIds>::uuid[])
        order by end_at desc limit $<limit>`,
      { query, byNumber, carrierIds: [...carrierIds], limit });
    const liveIds = new Set(live.map((call) => call.call_id));
    return { calls: [...live, ...rows.filter((row) => !liveIds.has(row.call_id)).map(cdrStory)].slice(0, limit) };
  });
}
