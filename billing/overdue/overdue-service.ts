/**
 * Evaluates the overdue policy for a carrier, on a schedule and at once after every payment,
 * reversal, draw or credit that touches its statements: where it stands (oldest statement past
 * due, what is past due), the state the policy puts it in, and the consequences of a change
 * (audited transition, notice, buying blocked or reinstated). In a state that draws on
 * collateral, it draws for what is past due: a deposit at once, a letter of credit through the
 * financial services node. The clock is injected, so tests can step days ahead.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { daysPastDue } from '../core/position.ts';
import { localDay, overdueStanding, planDraws, type DrawableCollateral } from '../core/overdue-policy.ts';
import { FsnClient, FsnError } from '../fsn/fsn-client.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { BillingTermsStore } from '../settlement/billing-terms-store.ts';
import { CollateralStore, type DrawOutcome, type DrawRequest, type PresentedDraw } from '../settlement/collateral-store.ts';
import { SettleRefused } from '../settlement/statement-settling.ts';
import { BuyingBlocks } from './buying-blocks.ts';
import { OverdueStore } from './overdue-store.ts';

export interface Evaluation {
  readonly carrier_id: string;
  readonly state: string | null;
  readonly blocked: boolean;
  /** The states entered, in order (null: good standing). */
  readonly transitions: ReadonlyArray<string | null>;
  readonly draws: number;
}

const ACTOR = 'overdue-policy';

export class OverdueService {
  readonly blocks = new BuyingBlocks();
  private readonly store: OverdueStore;
  private readonly collateral: CollateralStore;
  private readonly terms: BillingTermsStore;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly listeners = new Set<(evaluation: Evaluation) => void>();

  constructor(
    private readonly db: Db,
    ledger: LedgerStore,
    private readonly fsnUrl: string | undefined,
    private readonly log: Logger,
    private clock: () => Date = () => new Date(),
  ) {
    this.store = new OverdueStore(db);
    this.collateral = new CollateralStore(db, ledger);
    this.terms = new BillingTermsStore(db);
  }

  /** Tests step time forward with their own clock; every later evaluation reads it. */
  setClock(clock: () => Date): void {
    this.clock = clock;
  }

  now(): Date {
    return this.clock();
  }

  /** Calls `listener` after each evaluation that changed a carrier's state. */
  onTransition(listener: (evaluation: Evaluation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the blocked buyers, then evaluates every carrier now and each `every_ms`. */
  async start(every_ms: number): Promise<void> {
    await this.reloadBlocks();
    const tick = () => {
      this.running = this.evaluateAll().then(() => undefined, (error: unknown) => this.log.error({ err: error }, 'overdue evaluation failed'));
    };
    tick();
    this.timer = setInterval(tick, every_ms);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Evaluates every carrier that owes something or is not in good standing. */
  async evaluateAll(): Promise<Evaluation[]> {
    const results: Evaluation[] = [];
    for (const carrier_id of await this.store.carriersToEvaluate()) {
      try {
        results.push(await this.evaluateCarrier(carrier_id));
      } catch (error) {
        // One carrier's failure (say, its statement locked too long) leaves the others evaluated.
        this.log.error({ err: error, carrier_id }, 'overdue evaluation of a carrier failed');
      }
    }
    await this.reloadBlocks();
    return results;
  }

  private async reloadBlocks(): Promise<void> {
    const mark = this.blocks.mark();
    this.blocks.replaceAll(await this.store.blockedCarriers(), mark);
  }

  /** Evaluates one carrier now; never throws for a draw the node refuses. */
  async evaluateCarrier(carrier_id: string): Promise<Evaluation> {
    const at = this.clock();
    const outcome = await this.db.tx('overdue-evaluate', async (t) => {
      const before = await this.store.lockCarrier(t, carrier_id);
      const policy = await this.store.policy(t);
      const today = localDay(at, (await this.terms.terms(carrier_id, t)).time_zone);
      let owed = await this.store.owedStatements(t, carrier_id);
      let standing = overdueStanding(policy, owed, today);
      const transitions: Array<string | null> = [];
      let current = before;
      let saved = await this.store.saveStanding(t, current, standing, at, ACTOR);
      if (saved.changed) transitions.push(standing.state?.name ?? null);
      const presented: PresentedDraw[] = [];
      let draws = 0;
      if (standing.state?.draw_collateral) {
        const pastDue = owed.filter((statement) => daysPastDue(statement.due_date, today) > 0);
        const pending = new Map(await t.map(
          `select statement_id, sum(amount_micros) as micros from collateral_draws where carrier_id = $1 and status = 'presented' group by 1`,
          [carrier_id], (row: { statement_id: string; micros: bigint }) => [row.statement_id, row.micros] as const));
        const sources = await this.drawable(t, carrier_id);
        for (const plan of planDraws(pastDue, pending, sources, at)) {
          try {
            // A savepoint each: a draw refused (say, the collateral just expired) leaves the others.
            const drawn = await t.tx((sp) => this.collateral.drawIn(sp, { collateral_id: plan.collateral_id, statement_id: plan.statement_id, amount_micros: plan.amount_micros, actor: ACTOR }));
            if (drawn.ok) draws += 1;
            if (drawn.ok && drawn.presented !== null) presented.push(drawn.presented);
          } catch (error) {
            if (!(error instanceof SettleRefused)) throw error;
            this.log.warn({ carrier_id, draw: plan, reason: error.reason }, 'a draw on collateral was refused');
          }
        }
        if (draws > presented.length) {
          // A deposit drawn settles at once: where the carrier stands now.
          owed = await this.store.owedStatements(t, carrier_id);
          standing = overdueStanding(policy, owed, today);
          current = await this.store.lockCarrier(t, carrier_id);
          saved = await this.store.saveStanding(t, current, standing, at, ACTOR);
          if (saved.changed) transitions.push(standing.state?.name ?? null);
        }
      }
      await this.store.markStatementsOverdue(t, carrier_id, today);
      return { evaluation: { carrier_id, state: standing.state?.name ?? null, blocked: saved.blocked, transitions, draws }, presented };
    });
    this.blocks.set(carrier_id, outcome.evaluation.blocked);
    await this.present([...outcome.presented, ...(await this.collateral.unsent(carrier_id)).filter((one) => !outcome.presented.some((mine) => mine.draw_id === one.draw_id))]);
    if (outcome.evaluation.transitions.length > 0) {
      this.log.info(outcome.evaluation, 'overdue state changed');
      for (const listener of this.listeners) listener(outcome.evaluation);
    }
    return outcome.evaluation;
  }

  /**
   * An operator's draw on one collateral for one statement: a deposit is settled at once, a letter
   * of credit presented to the node; then the carrier is evaluated again.
   */
  async drawNow(request: DrawRequest): Promise<DrawOutcome> {
    const outcome = await this.collateral.draw(request);
    if (!outcome.ok) return outcome;
    if (outcome.presented !== null) await this.present([outcome.presented]);
    await this.evaluateCarrier(outcome.carrier_id);
    return outcome;
  }

  /** Sends draws on letters of credit to the node; one it refuses outright is closed as refused. */
  private async present(draws: readonly PresentedDraw[]): Promise<void> {
    if (draws.length === 0) return;
    if (this.fsnUrl === undefined) {
      this.log.warn({ draws: draws.length }, 'draws on letters of credit wait: no financial services node is configured');
      return;
    }
    const client = new FsnClient(this.fsnUrl);
    for (const draw of draws) {
      try {
        const answer = await client.presentDraw(draw.fsn_letter_of_credit_id, draw.draw_id, draw.amount_micros, draw.currency);
        await this.collateral.presentedAtNode(draw.draw_id, answer.id);
      } catch (error) {
        if (error instanceof FsnError && error.status !== null && error.status >= 400 && error.status < 500) {
          await this.collateral.refused(draw.draw_id, error.reason);
        } else {
          // Unreachable or failing: the draw stays presented and is sent again at the next evaluation.
          this.log.warn({ err: error, draw_id: draw.draw_id }, 'presenting a draw to the financial services node failed');
        }
      }
    }
  }

  /** The carrier's collateral with what is left to draw (amount − drawn − presented). */
  private async drawable(t: Parameters<Parameters<Db['tx']>[1]>[0], carrier_id: string): Promise<DrawableCollateral[]> {
    const rows = await t.any<{ id: string; kind: 'deposit' | 'letter_of_credit'; currency: string; available_micros: bigint; valid_until: Date | null; refused_for: string[] }>(
      `select c.id, c.kind, trim(c.currency) as currency, c.valid_until,
              c.amount_micros - c.drawn_micros - coalesce((select sum(d.amount_micros) from collateral_draws d where d.collateral_id = c.id and d.status = 'presented'), 0) as available_micros,
              coalesce((select array_agg(distinct d.statement_id::text) from collateral_draws d where d.collateral_id = c.id and d.status = 'refused'), '{}') as refused_for
       from collateral c where c.carrier_id = $1 and c.status = 'active' and (c.kind = 'deposit' or c.fsn_id is not null)`, [carrier_id]);
    return rows.map((row) => ({ collateral_id: row.id, kind: row.kind, currency: row.currency, available_micros: BigInt(row.available_micros), valid_until: row.valid_until, refused_for: new Set(row.refused_for) }));
  }
}
