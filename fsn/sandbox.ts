/**
 * The financial services node sandbox: a stand-in for a payment provider's test mode, in its own
 * process, speaking HTTP the way providers do.
 *
 * - Every request that moves money carries an `Idempotency-Key`: the same key with the same
 *   request answers what the first one did; the same key with another request is refused (422
 *   `idempotency_key_reused`).
 * - Events go to minutex as webhooks signed with HMAC-SHA256 over `timestamp.body`
 *   (common/webhook-signature.ts), retried with backoff until minutex answers 2xx, delivered at
 *   least once and possibly out of order; minutex deduplicates them by event id.
 *
 * Collections: minutex asks for a buyer's payment against a statement (`POST /v1/collections`);
 * the test endpoint `POST /v1/test/collections/{id}/pay` simulates the buyer paying, in part or
 * in full, or a payment that bounces (`"outcome": "bounced"`), with an optional webhook delay;
 * `POST /v1/test/events/{id}/redeliver` delivers an event again, as a provider may.
 * `POST /v1/test/payments/{payment_id}/bounce` reverses a payment after it was confirmed
 * (`collection.payment_reversed`), as a bounced direct debit or a chargeback would.
 * Deposits, letters of credit and draws: fsn/sandbox-collateral.ts. Pledges of buyers'
 * receivables for a seller's advance, repaid from the buyers' payments: fsn/sandbox-pledges.ts.
 * Payouts: `POST /v1/payouts` pays a seller; the bank confirms it a moment later with a
 * `payout.paid` event (or `payout.failed`, with `"test_outcome": "failed"`).
 * State lives in memory: the sandbox forgets everything when it stops.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatMicros, isCurrencyCode } from '../common/money.ts';
import { parseJsonObject, readBody, SandboxHttpError as HttpError, startJsonServer } from '../common/sandbox-http.ts';
import { SIGNATURE_HEADER, signWebhook } from '../common/webhook-signature.ts';
import { pledgeSandbox } from './sandbox-pledges.ts';
import { collateralSandbox, positiveAmount, webhookDelay, type MoneyRoute } from './sandbox-collateral.ts';

export interface SandboxOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Where events are delivered (minutex's `/fsn/webhooks`). */
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  /** How long the pretend bank takes to honour or refuse a draw on a letter of credit, ms. */
  readonly drawDecisionMs?: number;
}

export interface RunningSandbox {
  readonly url: string;
  stop(): Promise<void>;
}

/** Idempotency keys remembered at most; past it the oldest are forgotten. */
const MAX_REMEMBERED_KEYS = 100_000;
/** Events waiting for delivery at most; past it new money movements are refused (503). */
const MAX_PENDING_DELIVERIES = 10_000;
/** Delivery attempts per event, and the backoff between them (doubling, capped). */
const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** How long the pretend bank takes to confirm a payout, in ms. */
const PAYOUT_CONFIRMATION_MS = 200;
/** How long one delivery attempt may take. */
const DELIVERY_TIMEOUT_MS = 5_000;

interface Collection {
  id: string;
  reference: string;
  currency: string;
  amount_micros: bigint;
  received_micros: bigint;
}

interface Payment {
  collection: Collection;
  data: Record<string, string>;
  amount_micros: bigint;
  reversed: boolean;
}

interface SandboxEvent {
  id: string;
  type: string;
  created: number;
  data: Record<string, string>;
}

/** What a collection or a payout asks for: a reference (minutex's statement id), an amount, a currency. */
function moneyRequest(body: Record<string, unknown>): { reference: string; currency: string; amount_micros: bigint } {
  const { reference, currency } = body;
  if (typeof currency !== 'string' || !isCurrencyCode(currency)) throw new HttpError(400, 'invalid_currency', 'unknown currency');
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > 200) {
    throw new HttpError(400, 'invalid_reference', 'reference must be 1 to 200 characters');
  }
  return { reference, currency, amount_micros: positiveAmount(body['amount']) };
}

export async function startFsnSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const collections = new Map<string, Collection>();
  const payments = new Map<string, Payment>();
  const events = new Map<string, SandboxEvent>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  let stopped = false;

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  /** Delivers an event until minutex accepts it or the attempts run out. */
  const deliver = (event: SandboxEvent, delay_ms = 0) => {
    pending += 1;
    const attempt = (number: number) => {
      if (stopped) return;
      const body = JSON.stringify(event);
      const signature = signWebhook(options.webhookSecret, Math.floor(Date.now() / 1000), body);
      fetch(options.webhookUrl, {
        method: 'POST', body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      }).then(async (response) => {
        await response.arrayBuffer();
        return response.ok;
      }, () => false).then((delivered) => {
        if (delivered || number >= MAX_ATTEMPTS) {
          pending -= 1;
          return;
        }
        later(Math.min(FIRST_BACKOFF_MS * 2 ** (number - 1), MAX_BACKOFF_MS), () => attempt(number + 1));
      }, () => undefined);
    };
    later(delay_ms, () => attempt(1));
  };

  const emit = (type: SandboxEvent['type'], data: Record<string, string>, delay_ms: number): SandboxEvent => {
    const event: SandboxEvent = { id: `evt_${randomUUID()}`, type, created: Math.floor(Date.now() / 1000), data };
    events.set(event.id, event);
    deliver(event, delay_ms);
    return event;
  };

  const collectionView = (collection: Collection) => ({
    id: collection.id, reference: collection.reference, currency: collection.currency,
    amount: formatMicros(collection.amount_micros, collection.currency), received: formatMicros(collection.received_micros, collection.currency),
    status: collection.received_micros >= collection.amount_micros ? 'paid' : collection.received_micros > 0n ? 'partially_paid' : 'open',
  });

  /** The routes that move money; each answers [status, body]. */
  const collateral = collateralSandbox(emit, later, options.drawDecisionMs ?? 5_000);
  const pledges = pledgeSandbox(emit, later);
  const moneyRoutes: MoneyRoute[] = [
    ...collateral.routes,
    ...pledges.routes,
    [/^\/v1\/collections$/, (_match, body) => {
      const { reference, currency, amount_micros } = moneyRequest(body);
      const collection: Collection = { id: `col_${randomUUID()}`, reference, currency, amount_micros, received_micros: 0n };
      collections.set(collection.id, collection);
      return [201, collectionView(collection)];
    }],
    [/^\/v1\/payouts$/, (_match, body) => {
      const { reference, currency, amount_micros } = moneyRequest(body);
      const id = `po_${randomUUID()}`;
      // Test mode: a payout with `"test_outcome": "failed"` is refused by the (pretend) bank.
      const failed = body['test_outcome'] === 'failed';
      const data = { payout_id: id, reference, amount: formatMicros(amount_micros, currency), currency };
      emit(failed ? 'payout.failed' : 'payout.paid', data, PAYOUT_CONFIRMATION_MS);
      return [201, { id, reference, amount: data.amount, currency, status: 'pending' }];
    }],
    [/^\/v1\/test\/collections\/([\w-]+)\/pay$/, (match, body) => {
      const collection = collections.get(match[1]!);
      if (collection === undefined) throw new HttpError(404, 'not_found', 'unknown collection');
      const amount_micros = positiveAmount(body['amount']);
      const delay_ms = webhookDelay(body);
      const payment_id = `pay_${randomUUID()}`;
      const data = { collection_id: collection.id, reference: collection.reference, payment_id, amount: formatMicros(amount_micros, collection.currency), currency: collection.currency };
      if (body['outcome'] === 'bounced') return [202, { payment_id, event_id: emit('collection.payment_bounced', data, delay_ms).id }];
      collection.received_micros += amount_micros;
      // A payment on a pledged statement repays the node's advance on it first.
      pledges.sweep(collection.reference, amount_micros);
      payments.set(payment_id, { collection, data, amount_micros, reversed: false });
      return [202, { payment_id, event_id: emit('collection.payment_received', data, delay_ms).id, collection: collectionView(collection) }];
    }],
    [/^\/v1\/test\/payments\/([\w-]+)\/bounce$/, (match, body) => {
      // Test mode "payment bounced" after confirmation: the money is taken back.
      const payment = payments.get(match[1]!);
      if (payment === undefined) throw new HttpError(404, 'not_found', 'unknown payment');
      if (payment.reversed) throw new HttpError(409, 'already_reversed', 'the payment was already reversed');
      payment.reversed = true;
      payment.collection.received_micros -= payment.amount_micros;
      return [202, { payment_id: match[1], event_id: emit('collection.payment_reversed', payment.data, webhookDelay(body)).id }];
    }],
    [/^\/v1\/test\/events\/([\w-]+)\/redeliver$/, (match) => {
      const event = events.get(match[1]!);
      if (event === undefined) throw new HttpError(404, 'not_found', 'unknown event');
      deliver(event);
      return [202, { event_id: event.id }];
    }],
  ];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<[number, unknown]> => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    if (request.method === 'GET') {
      const lc = /^\/v1\/letters-of-credit\/([\w-]+)$/.exec(url.pathname);
      if (lc !== null) {
        const found = collateral.letter(lc[1]!);
        if (found === undefined) throw new HttpError(404, 'not_found', 'unknown letter of credit');
        return [200, found];
      }
      const pledge = /^\/v1\/pledges\/([\w-]+)$/.exec(url.pathname);
      if (pledge !== null) {
        const found = pledges.pledge(pledge[1]!);
        if (found === undefined) throw new HttpError(404, 'not_found', 'unknown pledge');
        return [200, found];
      }
      const match = /^\/v1\/collections\/([\w-]+)$/.exec(url.pathname);
      const collection = match === null ? undefined : collections.get(match[1]!);
      if (collection === undefined) throw new HttpError(404, 'not_found', 'not found');
      return [200, collectionView(collection)];
    }
    if (request.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'only GET and POST');
    const route = moneyRoutes.map(([pattern, run]) => [pattern.exec(url.pathname), run] as const).find(([match]) => match !== null);
    if (route === undefined) throw new HttpError(404, 'not_found', 'not found');
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) throw new HttpError(400, 'idempotency_key_required', 'an Idempotency-Key header (1 to 255 characters) is required');
    const raw = await readBody(request);
    const fingerprint = createHash('sha256').update(`${url.pathname}\n${raw}`).digest('hex');
    const seen = idempotent.get(key);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint) throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with another request');
      response.setHeader('idempotent-replayed', 'true');
      return [seen.status, JSON.parse(seen.body)];
    }
    if (pending >= MAX_PENDING_DELIVERIES) throw new HttpError(503, 'busy', 'too many webhooks waiting for delivery');
    const [status, answer] = route[1](route[0]!, parseJsonObject(raw));
    if (idempotent.size >= MAX_REMEMBERED_KEYS) idempotent.delete(idempotent.keys().next().value!);
    idempotent.set(key, { fingerprint, status, body: JSON.stringify(answer) });
    return [status, answer];
  };

  const server = await startJsonServer(options.host, options.port, handle);
  return {
    url: server.url,
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await server.close();
    },
  };
}
