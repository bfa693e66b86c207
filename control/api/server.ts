/**
 * The HTTP API (Fastify): JSON in and out, money as decimal strings with a currency code, an
 * OpenAPI document at /openapi.json, errors as `{ error, message }` with a stable reason code.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiKeyStore } from '../store/api-keys.ts';
import { serverSecret } from '../store/server-secrets.ts';
import { CounterpartyAliases } from './anonymity.ts';
import { ApiError } from './errors.ts';
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

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** Largest request body we read, in bytes: orders and trunks are a few hundred bytes (CSV uploads have their own limit). */
const BODY_LIMIT_BYTES = 65_536;
/** Name of the server secret behind counterparty aliases (server_secrets table). */
const ALIAS_SECRET = 'counterparty_alias';
const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../web');

export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT_BYTES,
    // Request lines would drown the call logs at load; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Live streams never end on their own: close them so a shutdown does not wait for clients.
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const context: RouteContext = {
    ...deps,
    apiKeys: new ApiKeyStore(deps.db),
    aliases: new CounterpartyAliases(await serverSecret(deps.db, ALIAS_SECRET)),
  };
  const authenticate = authenticator(deps.operatorToken, context.apiKeys);

  await app.register(swagger, {
    openapi: {
      info: { title: 'minutex API', version: '1.0.0', description: 'Carriers, trunks, orders, trades, CDRs and balances of the minutex exchange.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.decorateRequest('principal', undefined);
  // Decided by the matched route, not the raw URL, so no spelling of a /v1 path escapes it.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url?.startsWith('/v1/')) request.principal = await authenticate(request);
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
    if (error.validation) {
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
  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/', index: ['index.html'] });
  await app.ready();
  return app;
}
