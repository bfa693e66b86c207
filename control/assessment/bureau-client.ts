/**
 * minutex's client of the business-credit bureau (MINUTEX_BUREAU_URL): one report per company,
 * asked over HTTP with a timeout per attempt and a few retries with backoff, for a bureau that is
 * slow or briefly failing. A company the bureau does not know is an answer, not a failure: it is
 * not retried. Caching is bureau-reports.ts's job.
 */

export interface BureauFiling {
  readonly kind: 'lien' | 'judgment' | 'bankruptcy';
  readonly filed_on: string;
  readonly status: string;
  readonly amount?: string;
  readonly currency?: string;
}

export interface BureauReport {
  readonly bureau_id: string;
  readonly name: string;
  /** 1-100, read like PAYDEX (80 = pays on terms); null for a thin file. */
  readonly payment_index: number | null;
  /** 1-100 percentile, 1 = the riskiest. */
  readonly delinquency_score: number;
  readonly years_in_business: number;
  readonly filings: readonly BureauFiling[];
  readonly trade_references: ReadonlyArray<{ readonly supplier: string; readonly high_credit: string; readonly days_beyond_terms: number }>;
  readonly report_version: number | null;
  readonly as_of: string | null;
}

export type BureauFailure = 'unknown_company' | 'bureau_unavailable' | 'invalid_report';

export class BureauError extends Error {
  override name = 'BureauError';
  constructor(readonly reason: BureauFailure, message: string) {
    super(message);
  }
}

export interface BureauClientOptions {
  readonly url: string;
  readonly timeout_ms: number;
  /** Attempts after the first. */
  readonly retries: number;
  /** Wait before the first retry; doubles for each next one. */
  readonly backoff_ms?: number;
}

const DEFAULT_BACKOFF_MS = 100;

function whole(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** Checks the bureau's JSON: a report minutex cannot read is refused, never guessed at. */
export function parseBureauReport(value: unknown): BureauReport {
  const invalid = (what: string): never => {
    throw new BureauError('invalid_report', `the bureau's report is not usable: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return invalid('not an object');
  const report = value as Record<string, unknown>;
  if (typeof report['bureau_id'] !== 'string' || typeof report['name'] !== 'string') invalid('bureau_id and name');
  if (report['payment_index'] !== null && !whole(report['payment_index'], 1, 100)) invalid('payment_index');
  if (!whole(report['delinquency_score'], 1, 100)) invalid('delinquency_score');
  if (!whole(report['years_in_business'], 0, 1000)) invalid('years_in_business');
  const filings = report['filings'];
  if (!Array.isArray(filings)) return invalid('filings');
  for (const filing of filings as Array<Record<string, unknown>>) {
    if (!['lien', 'judgment', 'bankruptcy'].includes(String(filing['kind'])) || typeof filing['filed_on'] !== 'string' || typeof filing['status'] !== 'string') invalid('a filing');
  }
  if (!Array.isArray(report['trade_references'])) invalid('trade_references');
  return {
    bureau_id: report['bureau_id'] as string,
    name: report['name'] as string,
    payment_index: report['payment_index'] as number | null,
    delinquency_score: report['delinquency_score'] as number,
    years_in_business: report['years_in_business'] as number,
    filings: filings as BureauFiling[],
    trade_references: report['trade_references'] as BureauReport['trade_references'],
    report_version: whole(report['report_version'], 1, 1e9) ? (report['report_version'] as number) : null,
    as_of: typeof report['as_of'] === 'string' ? report['as_of'] : null,
  };
}

export class BureauClient {
  constructor(private readonly options: BureauClientOptions) {}

  async report(bureau_id: string): Promise<BureauReport> {
    let last = 'no attempt';
    for (let attempt = 0; attempt <= this.options.retries; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, (this.options.backoff_ms ?? DEFAULT_BACKOFF_MS) * 2 ** (attempt - 1)));
      let response: Response;
      try {
        response = await fetch(`${this.options.url}/v1/companies/${encodeURIComponent(bureau_id)}/report`, { signal: AbortSignal.timeout(this.options.timeout_ms) });
      } catch (error) {
        last = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeout_ms} ms` : `unreachable: ${(error as Error).message}`;
        continue;
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        last = `answered ${response.status} without JSON`;
        continue;
      }
      if (response.status === 404) throw new BureauError('unknown_company', `the bureau knows no company ${bureau_id}`);
      if (response.ok) return parseBureauReport(body);
      last = `answered ${response.status}`;
      // Other refusals of the request itself will not change on a retry.
      if (response.status < 500 && response.status !== 429) break;
    }
    throw new BureauError('bureau_unavailable', `the credit bureau could not give a report (${last})`);
  }
}
