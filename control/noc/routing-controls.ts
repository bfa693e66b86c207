/**
 * Operators' and alarms' changes to routing (routing_controls), in memory for the route decision
 * and in PostgreSQL for every node. A control made here applies here at once; other nodes pick it
 * up at their next reload (every few seconds). Each change is audited in its own transaction.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { audit } from '../store/audit.ts';

export type ControlKind = 'ingress_trunk_blocked' | 'seller_out_of_routing' | 'cps_limit' | 'trade_suspended';

export interface RoutingControl {
  readonly id: string;
  readonly kind: ControlKind;
  readonly trunk_id: string | null;
  readonly carrier_id: string | null;
  readonly destination_id: string | null;
  readonly trade_id: string | null;
  readonly cps_limit: number | null;
  readonly reason: string;
  readonly source: string;
  readonly created_by: string;
  readonly created_at: Date;
}

export type NewControl = Pick<RoutingControl, 'kind' | 'reason' | 'source'> & Partial<Pick<RoutingControl, 'trunk_id' | 'carrier_id' | 'destination_id' | 'trade_id' | 'cps_limit'>>;

const SELECT = `select id::text, kind, trunk_id, carrier_id, destination_id, trade_id, cps_limit, reason, source, created_by, created_at
  from routing_controls where cleared_at is null order by id`;

export class RoutingControls {
  private controls: RoutingControl[] = [];
  private blocked = new Map<string, RoutingControl>();
  private sellerOut = new Map<string, RoutingControl>();
  private cps = new Map<string, number>();
  private suspended = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Changes made here, so a reload that overlapped one does not undo it. */
  private version = 0;

  constructor(private readonly db: Db, private readonly log: Logger) {}

  async reload(): Promise<void> {
    const version = this.version;
    const rows = await this.db.any<RoutingControl>(SELECT);
    // A change made here while reading may be missing from what was read: the next reload has it.
    if (version === this.version) this.index(rows);
  }

  start(reload_ms: number): void {
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.log.warn({ err: error }, 'reloading routing controls failed'));
    }, reload_ms);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  list(): readonly RoutingControl[] {
    return this.controls;
  }

  ingressBlock(trunk_id: string): RoutingControl | undefined {
    return this.blocked.get(trunk_id);
  }

  /** The lowest call-rate limit in force on the trunk, if any. */
  cpsLimit(trunk_id: string): number | undefined {
    return this.cps.get(trunk_id);
  }

  sellerExcluded(seller_id: string, destination_id: string): string | undefined {
    return (this.sellerOut.get(`${seller_id}|${destination_id}`) ?? this.sellerOut.get(`${seller_id}|`))?.reason;
  }

  tradeSuspended(trade_id: string): boolean {
    return this.suspended.has(trade_id);
  }

  /** Puts a control in force; the same control already in force is returned instead of a second one. */
  async add(control: NewControl, actor: string): Promise<RoutingControl> {
    const same = this.controls.find((existing) => existing.kind === control.kind && existing.trunk_id === (control.trunk_id ?? null)
      && existing.carrier_id === (control.carrier_id ?? null) && existing.destination_id === (control.destination_id ?? null)
      && existing.trade_id === (control.trade_id ?? null) && existing.cps_limit === (control.cps_limit ?? null));
    if (same) return same;
    const row = await this.db.tx(async (t) => {
      const inserted = await t.one<RoutingControl>(
        `insert into routing_controls (kind, trunk_id, carrier_id, destination_id, trade_id, cps_limit, reason, source, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         returning id::text, kind, trunk_id, carrier_id, destination_id, trade_id, cps_limit, reason, source, created_by, created_at`,
        [control.kind, control.trunk_id ?? null, control.carrier_id ?? null, control.destination_id ?? null, control.trade_id ?? null,
          control.cps_limit ?? null, control.reason, control.source, actor],
      );
      await audit(t, actor, `routing.${control.kind}`, subjectOf(inserted), { control_id: inserted.id, reason: control.reason, source: control.source, cps_limit: control.cps_limit ?? null });
      return inserted;
    });
    this.version += 1;
    this.index([...this.controls, row]);
    return row;
  }

  /** Lifts a control; false when it is not in force. */
  async clear(id: string, actor: string, why: string): Promise<boolean> {
    const cleared = await this.db.tx(async (t) => {
      const row = await t.oneOrNone<RoutingControl>(
        `update routing_controls set cleared_at = now(), cleared_by = $2 where id = $1 and cleared_at is null
         returning id::text, kind, trunk_id, carrier_id, destination_id, trade_id, cps_limit, reason, source, created_by, created_at`, [id, actor]);
      if (row) await audit(t, actor, `routing.${row.kind}.cleared`, subjectOf(row), { control_id: row.id, why });
      return row;
    });
    if (!cleared) return false;
    this.version += 1;
    this.index(this.controls.filter((control) => control.id !== id));
    return true;
  }

  private index(controls: RoutingControl[]): void {
    const blocked = new Map<string, RoutingControl>();
    const sellerOut = new Map<string, RoutingControl>();
    const cps = new Map<string, number>();
    const suspended = new Set<string>();
    for (const control of controls) {
      if (control.kind === 'ingress_trunk_blocked' && control.trunk_id) blocked.set(control.trunk_id, control);
      else if (control.kind === 'seller_out_of_routing' && control.carrier_id) sellerOut.set(`${control.carrier_id}|${control.destination_id ?? ''}`, control);
      else if (control.kind === 'cps_limit' && control.trunk_id && control.cps_limit !== null) cps.set(control.trunk_id, Math.min(cps.get(control.trunk_id) ?? Infinity, control.cps_limit));
      else if (control.kind === 'trade_suspended' && control.trade_id) suspended.add(control.trade_id);
    }
    this.controls = controls;
    this.blocked = blocked;
    this.sellerOut = sellerOut;
    this.cps = cps;
    this.suspended = suspended;
  }
}

function subjectOf(control: RoutingControl): string {
  if (control.trade_id) return `trade:${control.trade_id}`;
  if (control.trunk_id) return `trunk:${control.trunk_id}`;
  return `carrier:${control.carrier_id ?? ''}${control.destination_id ? `/destination:${control.destination_id}` : ''}`;
}
