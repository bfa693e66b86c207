/**
 * The credit bureau sandbox: a stand-in for a business-credit bureau's test environment, in its
 * own process, speaking HTTP.
 *
 * - `GET /v1/companies/{bureau_id}/report` answers the company's report (companies.ts) with a
 *   `report_version` (1, then one more each time the report changes) and `as_of`; 404
 *   `unknown_company` for an id the bureau does not know.
 * - Test controls, so that minutex's client can be tested against a bureau that misbehaves:
 *   `POST /v1/test/behaviour` `{ "delay_ms": 3000 }` makes every report answer that late;
 *   `{ "fail_next": 2, "fail_status": 503 }` fails the next two report requests;
 *   `{ "fail_all": true }` fails every one until told otherwise.
 *   `POST /v1/test/companies/{bureau_id}/report` with some of a report's fields changes that
 *   company's report (as a bureau's does when a filing lands). `POST /v1/test/reset` forgets every
 *   change and behaviour. `GET /v1/test/requests` counts the report requests served.
 * - Monitoring alerts, as bureaus send their subscribers: when a report changes, the sandbox POSTs
 *   a signed `report.changed` event (`{id, type, created_at, data: {bureau_id, report_version}}`,
 *   header `minutex-signature`, common/webhook-signature.ts) to the webhook URL it was given,
 *   trying again with backoff while the receiver does not answer 2xx. Without a URL and secret it
 *   sends none. `GET /v1/test/alerts` lists what it sent and how each delivery ended.
 * State lives in memory: the sandbox forgets everything when it stops.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseJsonObject, readBody, SandboxHttpError as HttpError, startJsonServer } from '../common/sandbox-http.ts';
import { signWebhook, SIGNATURE_HEADER } from '../common/webhook-signature.ts';
import { TEST_COMPANIES, type CompanyReport } from './companies.ts';

export interface BureauSandboxOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Where monitoring alerts go, and the secret they are signed with; none: no alerts. */
  readonly alerts?: { readonly url: string; readonly secret: string };
}

/** Attempts at delivering one alert, and the first pause between them (doubling), ms. */
const ALERT_ATTEMPTS = 5;
const ALERT_FIRST_RETRY_MS = 250;

interface SentAlert {
  readonly id: string;
  readonly bureau_id: string;
  readonly report_version: number;
  attempts: number;
  delivered: boolean;
  last_status: number | null;
}

export interface RunningBureauSandbox {
  readonly url: string;
  stop(): Promise<void>;
}

/** Longest delay a test may ask for, in ms. */
const MAX_DELAY_MS = 60_000;
/** Fields of a report a test may change. */
const CHANGEABLE = ['name', 'payment_index', 'delinquency_score', 'years_in_business', 'filings', 'trade_references'] as const;

interface Behaviour {
  delay_ms: number;
  fail_next: number;
  fail_status: number;
  fail_all: boolean;
}

interface Entry {
  report: CompanyReport;
  version: number;
  as_of: string;
}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpError(400, 'invalid_request', `${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export async function startBureauSandbox(options: BureauSandboxOptions): Promise<RunningBureauSandbox> {
  const fresh = () => new Map(TEST_COMPANIES.map((report) => [report.bureau_id, { report, version: 1, as_of: new Date().toISOString() } satisfies Entry]));
  let companies = fresh();
  const quiet: Behaviour = { delay_ms: 0, fail_next: 0, fail_status: 503, fail_all: false };
  let behaviour: Behaviour = { ...quiet };
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });

  const report = async (bureau_id: string): Promise<[number, unknown]> => {
    requests += 1;
    if (behaviour.delay_ms > 0) await sleep(behaviour.delay_ms);
    if (behaviour.fail_all || behaviour.fail_next > 0) {
      if (behaviour.fail_next > 0) behaviour.fail_next -= 1;
      throw new HttpError(behaviour.fail_status, 'bureau_error', 'the bureau could not answer (test behaviour)');
    }
    const entry = companies.get(bureau_id);
    if (entry === undefined) throw new HttpError(404, 'unknown_company', 'the bureau knows no company with this id');
    return [200, { ...entry.report, report_version: entry.version, as_of: entry.as_of }];
  };

  let alerts: SentAlert[] = [];
  const deliver = async (alert: SentAlert): Promise<void> => {
    const target = options.alerts;
    if (target === undefined) return;
    const body = JSON.stringify({ id: alert.id, type: 'report.changed', created_at: new Date().toISOString(), data: { bureau_id: alert.bureau_id, report_version: alert.report_version } });
    for (let attempt = 0; attempt < ALERT_ATTEMPTS && !stopping; attempt += 1) {
      if (attempt > 0) await sleep(ALERT_FIRST_RETRY_MS * 2 ** (attempt - 1));
      alert.attempts += 1;
      try {
        const response = await fetch(target.url, {
          method: 'POST', body, signal: AbortSignal.timeout(5_000),
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(target.secret, Math.floor(Date.now() / 1000), body) },
        });
        alert.last_status = response.status;
        if (response.ok) {
          alert.delivered = true;
          return;
        }
      } catch {
        alert.last_status = null;
      }
    }
  };
  let stopping = false;

  const change = (bureau_id: string, body: Record<string, unknown>): [number, unknown] => {
    const entry = companies.get(bureau_id);
    if (entry === undefined) throw new HttpError(404, 'unknown_company', 'the bureau knows no company with this id');
    const unknown = Object.keys(body).filter((key) => !(CHANGEABLE as readonly string[]).includes(key));
    if (unknown.length > 0) throw new HttpError(400, 'invalid_request', `fields that cannot change: ${unknown.join(', ')}`);
    if (body['payment_index'] !== undefined && body['payment_index'] !== null) wholeNumber(body['payment_index'], 'payment_index', 1, 100);
    if (body['delinquency_score'] !== undefined) wholeNumber(body['delinquency_score'], 'delinquency_score', 1, 100);
    if (body['years_in_business'] !== undefined) wholeNumber(body['years_in_business'], 'years_in_business', 0, 500);
    if (body['filings'] !== undefined && !Array.isArray(body['filings'])) throw new HttpError(400, 'invalid_request', 'filings must be an array');
    const changed: Entry = { report: { ...entry.report, ...body }, version: entry.version + 1, as_of: new Date().toISOString() };
    companies.set(bureau_id, changed);
    if (options.alerts !== undefined) {
      const alert: SentAlert = { id: `evt_${randomUUID()}`, bureau_id, report_version: changed.version, attempts: 0, delivered: false, last_status: null };
      alerts.push(alert);
      void deliver(alert);
    }
    return [200, { ...changed.report, report_version: changed.version, as_of: changed.as_of }];
  };

  const setBehaviour = (body: Record<string, unknown>): [number, unknown] => {
    const next = { ...behaviour };
    if (body['delay_ms'] !== undefined) next.delay_ms = wholeNumber(body['delay_ms'], 'delay_ms', 0, MAX_DELAY_MS);
    if (body['fail_next'] !== undefined) next.fail_next = wholeNumber(body['fail_next'], 'fail_next', 0, 1000);
    if (body['fail_status'] !== undefined) next.fail_status = wholeNumber(body['fail_status'], 'fail_status', 400, 599);
    if (body['fail_all'] !== undefined) {
      if (typeof body['fail_all'] !== 'boolean') throw new HttpError(400, 'invalid_request', 'fail_all must be true or false');
      next.fail_all = body['fail_all'];
    }
    behaviour = next;
    return [200, behaviour];
  };

  const handle = async (request: IncomingMessage): Promise<[number, unknown]> => {
    const { pathname } = new URL(request.url ?? '/', 'http://bureau');
    const reportMatch = /^\/v1\/companies\/([\w-]{1,64})\/report$/.exec(pathname);
    if (request.method === 'GET' && reportMatch !== null) return report(reportMatch[1]!);
    if (request.method === 'GET' && pathname === '/v1/test/requests') return [200, { report_requests: requests }];
    if (request.method === 'GET' && pathname === '/v1/test/alerts') return [200, { alerts }];
    if (request.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'not here');
    const body = parseJsonObject(await readBody(request));
    const changeMatch = /^\/v1\/test\/companies\/([\w-]{1,64})\/report$/.exec(pathname);
    if (changeMatch !== null) return change(changeMatch[1]!, body);
    if (pathname === '/v1/test/behaviour') return setBehaviour(body);
    if (pathname === '/v1/test/reset') {
      companies = fresh();
      behaviour = { ...quiet };
      requests = 0;
      alerts = [];
      return [200, { reset: true }];
    }
    throw new HttpError(404, 'not_found', 'not found');
  };

  const server = await startJsonServer(options.host, options.port, handle);
  return {
    url: server.url,
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await server.close();
    },
  };
}
