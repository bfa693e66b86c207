/**
 * The financial services node's side of the API: an operator asks it to collect what a
 * statement's carrier owes (`POST /v1/statements/{id}/collect`) or to pay a seller what the
 * exchange owes it (`POST /v1/statements/{id}/payout`), and the node confirms money
 * through signed webhooks (`POST /fsn/webhooks`, outside /v1: it is authenticated by its
 * HMAC-SHA256 signature over the raw body, not by a bearer token). A confirmation is applied
 * exactly once, by its event id (billing/fsn/fsn-events.ts says what each event does); a bad or
 * stale signature is refused and changes nothing. Money that changes what a carrier owes has the
 * overdue policy evaluated for it at once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { FsnClient, FsnError } from '../../../billing/fsn/fsn-client.ts';
import { applyFsnEvent } from '../../../billing/fsn/fsn-events.ts';
import { AdvanceStore } from '../../../billing/settlement/advance-store.ts';
import { CollateralStore } from '../../../billing/settlement/collateral-store.ts';
import { PaymentStore } from '../../../billing/settlement/payment-store.ts';
import { StatementStore } from '../../../billing/settlement/statement-store.ts';
import { effectiveBalance } from '../../../billing/core/notes.ts';
import { isOpenStatementState } from '../../../billing/core/statement-lifecycle.ts';
import { formatMicros } from '../../../common/money.ts';
import { requireOperator } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { parseWebhookEvent, registerSignedWebhook } from '../signed-webhook.ts';
import { IdParams } from '../schemas.ts';

export function registerFsnRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const statements = new StatementStore(deps.db);
  const payments = new PaymentStore(deps.db, deps.ledger);
  const collateral = new CollateralStore(deps.db, deps.ledger);
  const advances = new AdvanceStore(deps.db, deps.ledger);
  const fsn = deps.fsn;

  /**
   * Asks the node to move what is still open on a statement: `collect` what the carrier owes
   * (a positive balance), `payout` what it is owed (a negative one).
   */
  const settleThroughNode = (action: 'collect' | 'payout') => async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    requireOperator(request);
    if (fsn === undefined) throw new ApiError(503, 'fsn_not_configured', 'no financial services node is configured');
    const statement = await statements.statement(request.params.id);
    if (statement === null) throw notFound('unknown statement');
    // Credit and debit notes allocated to the statement count with it.
    const balance = effectiveBalance(statement);
    // A seller's advance waiting for the node holds its part back: it is paid through the advance, never twice.
    const held = action === 'payout' ? await advances.heldOnStatement(statement.id) : 0n;
    const owed = (action === 'collect' ? balance : -balance) - statement.paid_micros - held;
    if (!isOpenStatementState(statement.status) || owed <= 0n) {
      throw action === 'collect'
        ? new ApiError(409, 'nothing_to_collect', 'the carrier owes nothing on this statement')
        : new ApiError(409, 'nothing_to_pay', 'the exchange owes the carrier nothing on this statement');
    }
    const client = new FsnClient(fsn.url);
    try {
      const moved = action === 'collect'
        ? { collection_id: (await client.createCollection(statement.id, owed, statement.currency)).id }
        : { payout_id: (await client.createPayout(statement.id, owed, statement.currency)).id };
      return await reply.status(201).send({ ...moved, amount: formatMicros(owed, statement.currency), currency: statement.currency });
    } catch (error) {
      if (error instanceof FsnError) throw new ApiError(502, error.reason, error.message);
      throw error;
    }
  };
  api.post('/v1/statements/:id/collect', { schema: { tags: ['settlement'], params: IdParams } }, settleThroughNode('collect'));
  api.post('/v1/statements/:id/payout', { schema: { tags: ['settlement'], params: IdParams } }, settleThroughNode('payout'));

  registerSignedWebhook(app, {
    path: '/fsn/webhooks',
    secret: fsn?.webhookSecret ?? null,
    unconfigured: { reason: 'fsn_not_configured', message: 'no financial services node is configured' },
    async handle(raw, request) {
      const event = parseWebhookEvent(raw);
      // Only confirmed money is posted: a bounce before confirmation or a failed payout moves nothing.
      const result = await applyFsnEvent(event, payments, collateral, advances);
      if (result.status === 'invalid') throw badRequest(result.reason, result.message);
      if (result.status === 'refused') throw new ApiError(422, result.reason, `the event cannot be applied: ${result.reason.replaceAll('_', ' ')}; nothing was changed`);
      if (result.status !== 'applied') return { status: result.status };
      // A payment, a reversal or a draw changes what is past due: the policy looks again at once.
      await deps.overdue?.evaluateCarrier(result.carrier_id).catch((error: unknown) => request.log.error({ err: error }, 'overdue evaluation after a webhook failed'));
      return result.statement_status === undefined ? { status: 'applied' } : { status: 'applied', statement_status: result.statement_status };
    },
  });
}
