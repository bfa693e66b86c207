/**
 * The NOC's API (operators only): measured quality now and per minute, trunks' health, alarms
 * (list, acknowledge, clear), alarm rules, routing controls (block a buyer's trunk, take a seller
 * out of routing, lower a call rate, suspend a trade; and lift them), trades flagged below their
 * committed quality, credit utilisation per buyer, and the Prometheus endpoint. Every change is
 * audited with its actor.
 */
import { createRequire } from 'node:module';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros } from '../../../common/money.ts';
import type { QualityStats } from '../../core/quality/quality-counts.ts';
import { EXCHANGE_SCOPE, type Scope } from '../../core/quality/quality-sample.ts';
import type { Noc } from '../../noc/noc.ts';
import { actorOf, requireOperator } from '../access.ts';
import { bearerToken } from '../auth.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { Uuid } from '../schemas.ts';

const ScopeKind = Type.Union([Type.Literal('exchange'), Type.Literal('buyer_destination'), Type.Literal('seller_destination'), Type.Literal('trunk')]);
const QualityQuery = Type.Object({ kind: Type.Optional(ScopeKind) }, { additionalProperties: false });
const HistoryQuery = Type.Object({
  kind: ScopeKind, id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), destination_id: Type.Optional(Type.String({ maxLength: 64 })),
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
}, { additionalProperties: false });
const AlarmQuery = Type.Object({ open: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false });
const NumericId = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$' }) });
const Reason = Type.String({ minLength: 1, maxLength: 500 });
const ControlBody = Type.Union([
  Type.Object({ kind: Type.Literal('ingress_trunk_blocked'), trunk_id: Uuid, reason: Reason }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('seller_out_of_routing'), carrier_id: Uuid, destination_id: Type.Optional(Uuid), reason: Reason }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('cps_limit'), trunk_id: Uuid, cps_limit: Type.Integer({ minimum: 1, maximum: 10000 }), reason: Reason }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('trade_suspended'), trade_id: Uuid, reason: Reason }, { additionalProperties: false }),
]);
const RuleBody = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  threshold: Type.Optional(Type.Number()),
  clear_threshold: Type.Optional(Type.Number()),
  min_attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  action: Type.Optional(Type.Union([Type.Literal('notify'), Type.Literal('block_buyer_trunk'), Type.Literal('seller_out_of_routing'), Type.Literal('lower_cps')])),
  action_cps: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
}, { additionalProperties: false, minProperties: 1 });
const NewRuleBody = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }),
  description: Type.String({ minLength: 1, maxLength: 500 }),
  metric: Type.Union(['asr', 'acd_s', 'ner', 'pdd_ms', 'short_call_ratio', 'cps', 'cps_vs_hour', 'watch_listed', 'trunk_down'].map((metric) => Type.Literal(metric))),
  scope_kind: ScopeKind,
  time_window: Type.Optional(Type.Union([Type.Literal('short'), Type.Literal('long')])),
  comparison: Type.Union([Type.Literal('below'), Type.Literal('above')]),
  threshold: Type.Number(),
  clear_threshold: Type.Number(),
  min_attempts: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  action: Type.Union([Type.Literal('notify'), Type.Literal('block_buyer_trunk'), Type.Literal('seller_out_of_routing'), Type.Literal('lower_cps')]),
  action_cps: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
}, { additionalProperties: false });
const RuleParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }) });

const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

function nocOf(deps: RouteContext): Noc {
  if (deps.noc === undefined) throw new ApiError(503, 'noc_unavailable', 'the NOC is not running on this node');
  return deps.noc;
}

function statsJson(stats: QualityStats) {
  return { ...stats, asr: round(stats.asr), acd_s: round(stats.acd_s), ner: round(stats.ner), pdd_ms: round(stats.pdd_ms), short_call_ratio: round(stats.short_call_ratio), cps: round(stats.cps) };
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);

/** Calls in progress per scope, counted from the live calls now. */
function concurrent(deps: RouteContext): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const call of deps.calls.liveCalls()) {
    add('exchange|*|');
    add(`buyer_destination|${call.buyer_id}|${call.destination_id}`);
    add(`trunk|${call.ingress_trunk_id}|`);
    const leg = call.legs[call.current_leg]?.leg;
    if (leg) {
      add(`seller_destination|${leg.trade.seller_id}|${call.destination_id}`);
      add(`trunk|${leg.trunk.id}|`);
    }
  }
  return counts;
}

export function registerNocRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const operatorDigest = createHash('sha256').update(deps.operatorToken).digest();

  // Prometheus scrapes with the operator token as its bearer token (outside /v1: checked here).
  app.get('/metrics', { schema: { hide: true } }, async (request: FastifyRequest, reply) => {
    const token = bearerToken(request);
    if (token === undefined || !timingSafeEqual(createHash('sha256').update(token).digest(), operatorDigest)) {
      return reply.status(401).send({ error: 'unauthorized', message: 'the operator token is required' });
    }
    const registry = nocOf(deps).metrics.registry;
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });

  // The chart library for the live page, served from the installed package.
  for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    const body = readFileSync(path.join(UPLOT_DIR, file));
    app.get(`/vendor/uplot/${file}`, { schema: { hide: true } }, (_request, reply) =>
      reply.header('content-type', file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(body));
  }

  api.get('/v1/noc/overview', { schema: { tags: ['noc'] } }, (request) => {
    requireOperator(request);
    const noc = nocOf(deps);
    const live = concurrent(deps);
    const [short, long] = noc.quality.stats(EXCHANGE_SCOPE);
    return { at: new Date().toISOString(), concurrent: live.get('exchange|*|') ?? 0, short: statsJson(short!), long: statsJson(long!) };
  });

  api.get('/v1/noc/quality', { schema: { tags: ['noc'], querystring: QualityQuery } }, (request) => {
    requireOperator(request);
    const noc = nocOf(deps);
    const live = concurrent(deps);
    const scopes = [...noc.quality.book.keys(Date.now(), request.query.kind ?? 'seller_destination')];
    return {
      scopes: scopes.map(({ key, scope }) => {
        const [short, long] = noc.quality.stats(scope);
        return { ...scope, concurrent: live.get(key) ?? 0, short: statsJson(short!), long: statsJson(long!) };
      }),
    };
  });

  api.get('/v1/noc/quality/history', { schema: { tags: ['noc'], querystring: HistoryQuery } }, async (request) => {
    requireOperator(request);
    const { kind, id, destination_id, minutes = 60 } = request.query;
    if (kind !== 'exchange' && id === undefined) throw badRequest('invalid_request', 'id is required for this scope');
    const scope: Scope = kind === 'exchange' ? EXCHANGE_SCOPE : { kind, id: id!, destination_id: destination_id ?? '' };
    const to = new Date(Date.now() + 60_000);
    const points = await nocOf(deps).qualityMinutes.series(scope, new Date(to.getTime() - (minutes + 1) * 60_000), to);
    return { scope, minutes: points.map((point) => ({ minute: new Date(point.minute_ms).toISOString(), ...point.counts })) };
  });

  api.get('/v1/noc/trunks', { schema: { tags: ['noc'] } }, (request) => {
    requireOperator(request);
    return { trunks: nocOf(deps).health.list().map((trunk) => ({ trunk_id: trunk.trunk_id, state: trunk.state, since: trunk.since_ms === 0 ? null : new Date(trunk.since_ms).toISOString() })) };
  });

  api.get('/v1/noc/alarms', { schema: { tags: ['noc'], querystring: AlarmQuery } }, async (request) => {
    requireOperator(request);
    return { alarms: await nocOf(deps).alarms.list(request.query) };
  });

  api.post('/v1/noc/alarms/:id/ack', { schema: { tags: ['noc'], params: NumericId } }, async (request) => {
    requireOperator(request);
    const alarm = await nocOf(deps).alarms.acknowledge(request.params.id, actorOf(request));
    if (!alarm) throw notFound('no raised alarm with this id');
    return { alarm };
  });

  api.post('/v1/noc/alarms/:id/clear', { schema: { tags: ['noc'], params: NumericId } }, async (request) => {
    requireOperator(request);
    const alarm = await nocOf(deps).alarms.clearByOperator(request.params.id, actorOf(request));
    if (!alarm) throw notFound('no open alarm with this id');
    return { alarm };
  });

  api.get('/v1/noc/alarm-rules', { schema: { tags: ['noc'] } }, async (request) => {
    requireOperator(request);
    return { rules: await deps.db.any('select * from alarm_rules order by id') };
  });

  api.post('/v1/noc/alarm-rules', { schema: { tags: ['noc'], body: NewRuleBody } }, async (request, reply) => {
    requireOperator(request);
    const rule = request.body;
    const row = await deps.db.tx(async (t) => {
      let inserted: Record<string, unknown> | null;
      try {
        inserted = await t.oneOrNone<Record<string, unknown>>(
          `insert into alarm_rules (id, description, metric, scope_kind, time_window, comparison, threshold, clear_threshold, min_attempts, action, action_cps)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (id) do nothing returning *`,
          [rule.id, rule.description, rule.metric, rule.scope_kind, rule.time_window ?? 'short', rule.comparison, rule.threshold, rule.clear_threshold, rule.min_attempts, rule.action, rule.action_cps ?? null]);
      } catch (error) {
        if ((error as { code?: string }).code === '23514') throw badRequest('invalid_rule', 'the rule would not be consistent (clear threshold side, lower_cps needs action_cps)');
        throw error;
      }
      if (!inserted) throw new ApiError(409, 'duplicate', 'a rule with this id exists');
      await t.none('insert into audit_log (actor, action, subject, details) values ($1, $2, $3, $4::jsonb)', [actorOf(request), 'alarm_rule.created', `alarm_rule:${rule.id}`, JSON.stringify(rule)]);
      return inserted;
    });
    return reply.status(201).send({ rule: row });
  });

  api.patch('/v1/noc/alarm-rules/:id', { schema: { tags: ['noc'], params: RuleParams, body: RuleBody } }, async (request) => {
    requireOperator(request);
    const changes = request.body;
    const rule = await deps.db.tx(async (t) => {
      const sets = Object.keys(changes).map((column, index) => `${column} = $${index + 2}`);
      let row: Record<string, unknown> | null;
      try {
        row = await t.oneOrNone<Record<string, unknown>>(`update alarm_rules set ${sets.join(', ')}, updated_at = now() where id = $1 returning *`, [request.params.id, ...Object.values(changes)]);
      } catch (error) {
        // A check constraint: the clear threshold on the wrong side, lower_cps without a rate.
        if ((error as { code?: string }).code === '23514') throw badRequest('invalid_rule', 'the rule would not be consistent (clear threshold side, lower_cps needs action_cps)');
        throw error;
      }
      if (!row) throw notFound('unknown alarm rule');
      await t.none('insert into audit_log (actor, action, subject, details) values ($1, $2, $3, $4::jsonb)', [actorOf(request), 'alarm_rule.changed', `alarm_rule:${request.params.id}`, JSON.stringify(changes)]);
      return row;
    });
    return { rule };
  });

  api.get('/v1/noc/controls', { schema: { tags: ['noc'] } }, (request) => {
    requireOperator(request);
    return { controls: nocOf(deps).controls.list() };
  });

  api.post('/v1/noc/controls', { schema: { tags: ['noc'], body: ControlBody } }, async (request, reply) => {
    requireOperator(request);
    const body = request.body;
    await checkSubject(deps, body);
    const control = await nocOf(deps).controls.add({ ...body, source: 'operator' }, actorOf(request));
    return reply.status(201).send({ control });
  });

  api.delete('/v1/noc/controls/:id', { schema: { tags: ['noc'], params: NumericId } }, async (request) => {
    requireOperator(request);
    if (!(await nocOf(deps).controls.clear(request.params.id, actorOf(request), 'lifted by operator'))) throw notFound('no control in force with this id');
    return { id: request.params.id, status: 'cleared' };
  });

  api.get('/v1/noc/trade-flags', { schema: { tags: ['noc'] } }, async (request) => {
    requireOperator(request);
    return { flags: await deps.db.any('select id::text, trade_id, seller_id, destination_id, broken, measured, committed, below_since, flagged_at, suspended, cleared_at from trade_quality_flags order by id desc limit 200') };
  });

  // `carrier_id` narrows it to one carrier's accounts (the page's carrier panel), one query per currency.
  api.get('/v1/noc/credit', { schema: { tags: ['noc'], querystring: Type.Object({ carrier_id: Type.Optional(Uuid) }, { additionalProperties: false }) } }, async (request) => {
    requireOperator(request);
    const accounts = await deps.db.any<{ carrier_id: string; name: string; currency: string }>(
      `select a.carrier_id, c.name, a.currency from credit_accounts a join carriers c on c.id = a.carrier_id
        where $1::uuid is null or a.carrier_id = $1 order by c.name, a.currency`, [request.query.carrier_id ?? null]);
    const buyers = await Promise.all(accounts.map(async ({ carrier_id, name, currency }) => {
      const view = await deps.credits.creditView(carrier_id, currency.trim());
      const pool = view.limit_micros + view.collateral_micros + view.balance_micros;
      const used = view.reserved_micros + view.leased_micros;
      return {
        carrier_id, name, currency: currency.trim(), limit: formatMicros(view.limit_micros, currency.trim()), collateral: formatMicros(view.collateral_micros, currency.trim()),
        balance: formatMicros(view.balance_micros, currency.trim()), reserved: formatMicros(view.reserved_micros, currency.trim()), leased: formatMicros(view.leased_micros, currency.trim()),
        available: formatMicros(view.available_micros, currency.trim()),
        // Basis points of the pool in use (reserved and leased), for the bar; null when there is no pool.
        used_bp: pool > 0n ? Number((used * 10_000n) / pool) : null,
      };
    }));
    return { buyers };
  });

}

/** A control must name things that exist (a 404 otherwise, and nothing written). */
async function checkSubject(deps: RouteContext, body: { kind: string; trunk_id?: string; carrier_id?: string; destination_id?: string; trade_id?: string }): Promise<void> {
  const exists = async (sql: string, id: string) => (await deps.db.oneOrNone(sql, [id])) !== null;
  if (body.trunk_id !== undefined) {
    const direction = await deps.db.oneOrNone<{ direction: string }>('select direction from trunks where id = $1', [body.trunk_id]);
    if (!direction) throw new ApiError(404, 'unknown_trunk', 'no such trunk');
    if (direction.direction !== 'ingress') throw badRequest('invalid_trunk', 'blocks and call-rate limits apply to a buyer\'s ingress trunk');
  }
  if (body.carrier_id !== undefined && !(await exists('select 1 from carriers where id = $1', body.carrier_id))) throw new ApiError(404, 'unknown_carrier', 'no such carrier');
  if (body.destination_id !== undefined && !(await exists('select 1 from destinations where id = $1', body.destination_id))) throw new ApiError(404, 'unknown_destination', 'no such destination');
  if (body.trade_id !== undefined && !(await exists("select 1 from trades where id = $1 and status = 'live'", body.trade_id))) throw new ApiError(404, 'unknown_trade', 'no live trade with this id');
}
