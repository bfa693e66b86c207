/**
 * Bureau reports through a cache with a validity period, kept in PostgreSQL (bureau_reports) so
 * that every node shares it and every assessment names the report it used:
 * - a report younger than the validity period is used as it is (`cache`), without asking;
 * - otherwise the bureau is asked; its answer is stored and used (`bureau`);
 * - when the bureau cannot answer (slow past every retry, failing), a report younger than the
 *   stale-use period is used instead (`stale_cache`), and the assessment says so; without one the
 *   outcome is `bureau_unavailable`, and the caller decides (an application cannot be decided).
 * `changed` tells a fresh answer that differs from the report used before (a changed bureau
 * report triggers a reassessment).
 */
import type { Db } from '../../common/db/database.ts';
import type { BureauClient} from './bureau-client.ts';
import { BureauError, parseBureauReport, type BureauReport } from './bureau-client.ts';

export type ReportSource = 'bureau' | 'cache' | 'stale_cache';

export interface SourcedReport {
  readonly report: BureauReport;
  readonly report_id: string;
  readonly source: ReportSource;
  readonly changed: boolean;
}

export interface BureauCacheOptions {
  readonly validity_s: number;
  readonly stale_use_s: number;
}

interface StoredReport {
  id: string;
  report: unknown;
  age_s: number;
}

/** The parts of a report that decide an assessment: a fresh answer that differs in them is a change. */
function substance(report: BureauReport): string {
  const { payment_index, delinquency_score, years_in_business, filings } = report;
  return JSON.stringify({ payment_index, delinquency_score, years_in_business, filings });
}

export class BureauReports {
  constructor(private readonly db: Db, private readonly client: BureauClient, private readonly options: BureauCacheOptions) {}

  async report(bureau_id: string, options: { readonly refresh?: boolean } = {}): Promise<SourcedReport> {
    const cached = await this.db.oneOrNone<StoredReport>(
      `select id::text, report, extract(epoch from now() - fetched_at)::float8 as age_s from bureau_reports
       where bureau_id = $1 order by fetched_at desc, id desc limit 1`, [bureau_id]);
    if (cached !== null && options.refresh !== true && cached.age_s < this.options.validity_s) {
      return { report: parseBureauReport(cached.report), report_id: cached.id, source: 'cache', changed: false };
    }
    let fresh: BureauReport;
    try {
      fresh = await this.client.report(bureau_id);
    } catch (error) {
      if (error instanceof BureauError && error.reason === 'bureau_unavailable' && cached !== null && cached.age_s < this.options.stale_use_s) {
        return { report: parseBureauReport(cached.report), report_id: cached.id, source: 'stale_cache', changed: false };
      }
      throw error;
    }
    const { id } = await this.db.one<{ id: string }>(
      'insert into bureau_reports (bureau_id, report_version, report) values ($1, $2, $3::jsonb) returning id::text',
      [bureau_id, fresh.report_version, JSON.stringify(fresh)]);
    const changed = cached !== null && substance(parseBureauReport(cached.report)) !== substance(fresh);
    return { report: fresh, report_id: id, source: 'bureau', changed };
  }
}
