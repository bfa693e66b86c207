/**
 * The HTTP API (Fastify): JSON in and out, money as decimal strings with a currency code, an
 * OpenAPI document at /openapi.json, errors as `{ error, message }` with a stable reason code.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import helmet from '@fastify/helmet';
import { registerRateLimits } from './rate-limits.ts';
import fastifyStatic from '@fastify/static';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiKeyStore } from '../store/api-keys.ts';
import { OperatorStore } from '../store/operators.ts';
import { operatorMay } from './roles.ts';
import { registerOperatorRoutes } from './routes/operators.ts';
import { serverSecret } from '../store/server-secrets.ts';
import { CounterpartyAliases } from './anonymity.ts';
import { ApiError } from './errors.ts';
import { AmountError } from '../../common/money.ts';
import { moneyTypeError, partAwareValidatorFactory } from './validation.ts';
import { authenticator, type Principal } from './auth.ts';
import type { ApiDependencies } from './dependencies.ts';
import type { RouteContext } from './route-context.ts';
import { ExchangeUnavailableError } from '../exchange/exchange-unavailable.ts';
import { registerApiKeyRoutes } from './routes/api-keys.ts';
import { registerCdrRoutes } from './routes/cdrs.ts';
import { registerExchangeForwardingRoutes } from './routes/exchange-forwarding.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerImportRoutes } from './routes/imports.ts';
import { registerMarketRoutes } from './routes/market.ts';
import { registerMemberRoutes } from './routes/members.ts';
import { registerOrderRoutes } from './routes/orders.ts';
import { registerReportRoutes } from './routes/reports.ts';
import { registerLiveRoutes } from './routes/live.ts';
import { registerCreditRoutes } from './routes/credit.ts';
import { registerCreditAssessmentRoutes, registerCreditOverrideRoutes } from './routes/credit-assessment.ts';
import { registerTradeRoutes } from './routes/trades.ts';
import { registerSettlementRoutes } from './routes/settlement.ts';
import { registerFsnRoutes } from './routes/fsn.ts';
import { registerFinancingRoutes } from './routes/financing.ts';
import { registerOverdueRoutes } from './routes/overdue.ts';
import { registerDisputeRoutes } from './routes/disputes.ts';
import { registerNocRoutes } from './routes/noc.ts';
import { registerNocCallRoutes } from './routes/noc-calls.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Largest request body we read, in bytes: orders and trunks are a few hundred bytes (CSV uploads have their own limit). */
const BODY_LIMIT_BYTES = 65_536;
/** Name of the server secret behind counterparty aliases (server_secrets table). */
const ALIAS_SECRET = 'counterparty_alias';
/** Limits when the caller gives none (tests building the API alone); the config's defaults in production. */
const DEFAULT_RATE_LIMITS = { perAddressPerMin: 120_000, perKeyPerMin: 12_000 };
const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../web');

export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    // HTTPS when a certificate is configured (an https.Server is an http.Server to everything here).
    ...(deps.tls === undefined ? {} : { https: deps.tls } as object),
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT_BYTES,
    // Request lines would drown the call logs at load; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Live streams never end on their own: close them so a shutdown does not wait for clients.
    forceCloseConnections: true,
    // Bodies are validated without type coercion: a number is never taken for a money string.
    schemaController: { compilersFactory: { buildValidator: partAwareValidatorFactory() } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const context: RouteContext = {
    ...deps,
    apiKeys: new ApiKeyStore(deps.db),
    operators: new OperatorStore(deps.db),
    aliases: new CounterpartyAliases(await serverSecret(deps.db, ALIAS_SECRET)),
  };
  const authenticate = authenticator(deps.operatorToken, context.apiKeys, context.operators);

  await app.register(swagger, {
    openapi: {
      info: { title: 'minutex API', version: '1.0.0', description: 'Carriers, trunks, orders, trades, CDRs and balances of the minutex exchange.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  // Security headers on every answer (the live page is served from here: scripts from itself only).
  await app.register(helmet, { contentSecurityPolicy: { directives: { 'connect-src': ["'self'"] } } });
  // Per address before authentication; per principal right after it.
  const limits = await registerRateLimits(app, deps.limits?.rate ?? DEFAULT_RATE_LIMITS);

  app.decorateRequest('principal', undefined);
  // Decided by the matched route, not the raw URL, so no spelling of a /v1 path escapes it.
  app.addHook('onRequest', async (request, reply) => {
    await limits.byAddress(request, reply);
    if (!request.routeOptions.url?.startsWith('/v1/')) return;
    const principal = await authenticate(request);
    request.principal = principal;
    await limits.byPrincipal(request, reply);
    // An operator's role decides what it may change (roles.ts); a carrier's reach is each route's business.
    if (principal.kind === 'operator' && !operatorMay(principal.role, request.method, request.routeOptions.url)) {
      throw new ApiError(403, 'forbidden', `the ${principal.role} role may not do this`);
    }
  });
  // CSV uploads arrive as text; the import routes parse them (control/exchange/*-csv.ts).
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.statusCode).send({ ...error.details, error: error.reason, message: error.message });
    }
    if (error instanceof ExchangeUnavailableError) {
      // The exchange is changing leader, or the leader could not be reached: send the command again.
      return reply.status(503).header('retry-after', '1').send({ error: 'exchange_unavailable', message: error.message, retryable: true, stored: error.stored });
    }
    if (error instanceof AmountError) {
      return reply.status(400).send({ error: 'invalid_amount', message: error.message });
    }
    if (error.validation) {
      const money = moneyTypeError(error);
      if (money) return reply.status(400).send(money);
      return reply.status(400).send({ error: 'invalid_request', message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return reply.status(400).send({ error: 'malformed_json', message: 'the body is not valid JSON' });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ error: 'body_too_large', message: `bodies are limited to ${BODY_LIMIT_BYTES} bytes` });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return reply.status(400).send({ error: 'invalid_request', message: error.message });
    }
    // PostgreSQL refused a value of the request itself (class 22, data exception: a NUL byte in a
    // text, a number out of a column's range...). Its transaction rolled back: nothing changed.
    if (typeof error.code === 'string' && /^22[0-9A-Z]{3}$/.test(error.code)) {
      request.log.warn({ err: error, route: request.routeOptions.url }, 'a value the database refuses reached it: validate it earlier');
      return reply.status(400).send({ error: 'invalid_value', message: 'the request holds a value that cannot be stored' });
    }
    // Other refusals of the request itself by Fastify or a plugin (e.g. a path @fastify/static forbids).
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const reason = status === 403 ? 'forbidden' : status === 404 ? 'not_found' : 'invalid_request';
      return reply.status(status).send({ error: reason, message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: 'internal_error', message: 'internal error' });
  });

  registerHealthRoutes(app, context);
  registerMemberRoutes(app, context);
  registerApiKeyRoutes(app, context);
  registerOperatorRoutes(app, context);
  registerOrderRoutes(app, context);
  registerExchangeForwardingRoutes(app, context);
  registerTradeRoutes(app, context);
  registerMarketRoutes(app, context);
  registerImportRoutes(app, context);
  registerReportRoutes(app, context);
  registerCdrRoutes(app, context);
  registerLiveRoutes(app, context);
  registerCreditRoutes(app, context);
  registerCreditAssessmentRoutes(app, context);
  registerCreditOverrideRoutes(app, context);
  registerSettlementRoutes(app, context);
  registerFsnRoutes(app, context);
  registerFinancingRoutes(app, context);
  registerOverdueRoutes(app, context);
  registerDisputeRoutes(app, context);
  registerNocRoutes(app, context);
  registerNocCallRoutes(app, context);
  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/', index: ['index.html'] });
  await app.ready();
  return app;
}
