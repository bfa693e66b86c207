/**
 * Alarm rules evaluated every few seconds over the measured quality and the trunks' health. An
 * alarm raised acts as its rule says (notify only; block the buyer's trunk; take the seller out of
 * routing for the destination; lower the trunk's call rate) through a routing control that is
 * lifted when the alarm clears. Raised, acknowledged and cleared alarms are rows, audited, published
 * to the page, and sent as a signed webhook.
 */
import { Subject } from 'rxjs';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { alarmMessage, decideAlarm, readMetric, type AlarmRule, type MetricReading } from '../core/alarms/alarm-rules.ts';
import { scopeKey, type Scope } from '../core/quality/quality-sample.ts';
import { audit } from '../store/audit.ts';
import type { AlarmWebhook } from './alarm-webhook.ts';
import type { QualityMonitor } from './quality-monitor.ts';
import type { NewControl, RoutingControls } from './routing-controls.ts';
import type { TrunkHealth } from './trunk-health.ts';

export interface AlarmRow {
  readonly id: string;
  readonly rule_id: string;
  readonly scope_kind: Scope['kind'];
  readonly scope_id: string;
  readonly destination_id: string;
  readonly state: 'raised' | 'acknowledged' | 'cleared';
  readonly value: number | null;
  readonly message: string;
  readonly action: string;
  readonly control_id: string | null;
  readonly node_id: string;
  readonly raised_at: Date;
  readonly acknowledged_at: Date | null;
  readonly acknowledged_by: string | null;
  readonly cleared_at: Date | null;
  readonly cleared_by: string | null;
}

export interface AlarmEvent {
  readonly kind: 'raised' | 'acknowledged' | 'cleared';
  readonly alarm: AlarmRow;
}

const ALARM_COLUMNS = `id::text, rule_id, scope_kind, scope_id, destination_id, state, value, message, action, control_id::text, node_id,
  raised_at, acknowledged_at, acknowledged_by, cleared_at, cleared_by`;
const ACTOR = 'alarms';

export class AlarmEngine {
  private rules: AlarmRule[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  readonly events = new Subject<AlarmEvent>();
  /** Alarms raised, by rule, since start (metrics). */
  readonly raisedCount: Record<string, number> = {};

  constructor(
    private readonly db: Db,
    private readonly quality: QualityMonitor,
    private readonly health: TrunkHealth,
    private readonly controls: RoutingControls,
    private readonly webhook: AlarmWebhook | undefined,
    private readonly node_id: string,
    private readonly log: Logger,
    /** Whether a trunk id is a buyer's ingress trunk (a block applies to those only). */
    private readonly isIngressTrunk: (trunk_id: string) => boolean,
    private readonly clock: () => number = Date.now,
  ) {}

  start(every_ms: number): void {
    this.timer = setInterval(() => void this.evaluate(), every_ms);
  }

  stop(): void {
    clearInterval(this.timer);
    this.events.complete();
  }

  ruleList(): readonly AlarmRule[] {
    return this.rules;
  }

  /** One evaluation of every rule now (it also runs on its timer). */
  evaluate(): Promise<void> {
    this.running ??= this.pass().catch((error: unknown) => this.log.warn({ err: error }, 'evaluating alarm rules failed')).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async list(filter: { open?: boolean; limit?: number } = {}): Promise<AlarmRow[]> {
    return this.db.any<AlarmRow>(`select ${ALARM_COLUMNS} from alarms ${filter.open ? "where state <> 'cleared'" : ''} order by id desc limit $1`, [filter.limit ?? 200]);
  }

  /** An operator saw it. Undefined: no open alarm with this id. */
  async acknowledge(id: string, actor: string): Promise<AlarmRow | undefined> {
    const alarm = await this.db.tx(async (t) => {
      const row = await t.oneOrNone<AlarmRow>(
        `update alarms set state = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2 where id = $1 and state = 'raised' returning ${ALARM_COLUMNS}`, [id, actor]);
      if (row) await audit(t, actor, 'alarm.acknowledged', `alarm:${row.id}`, { rule_id: row.rule_id });
      return row;
    });
    if (alarm) this.publish('acknowledged', alarm);
    return alarm ?? undefined;
  }

  /** An operator clears it by hand (its action is lifted too). */
  async clearByOperator(id: string, actor: string): Promise<AlarmRow | undefined> {
    const open = await this.db.oneOrNone<AlarmRow>(`select ${ALARM_COLUMNS} from alarms where id = $1 and state <> 'cleared'`, [id]);
    return open ? this.clear(open, actor) : undefined;
  }

  private async pass(): Promise<void> {
    this.rules = await this.db.any<AlarmRule>('select * from alarm_rules where enabled order by id');
    const open = new Map((await this.db.any<AlarmRow>(`select ${ALARM_COLUMNS} from alarms where state <> 'cleared'`))
      .map((alarm) => [`${alarm.rule_id}|${scopeKey({ kind: alarm.scope_kind, id: alarm.scope_id, destination_id: alarm.destination_id })}`, alarm]));
    const now = this.clock();
    const [short_ms, long_ms] = this.quality.book.windows.windows_ms as [number, number];
    for (const rule of this.rules) {
      const scopes = new Map<string, Scope>();
      if (rule.metric === 'trunk_down') {
        for (const trunk of this.health.list()) scopes.set(scopeKey({ kind: 'trunk', id: trunk.trunk_id, destination_id: '' }), { kind: 'trunk', id: trunk.trunk_id, destination_id: '' });
      } else {
        for (const { key, scope } of this.quality.book.keys(now, rule.scope_kind)) scopes.set(key, scope);
      }
      // Open alarms whose scope went quiet are evaluated too, so they can clear.
      for (const alarm of open.values()) {
        if (alarm.rule_id === rule.id) scopes.set(scopeKey({ kind: alarm.scope_kind, id: alarm.scope_id, destination_id: alarm.destination_id }), { kind: alarm.scope_kind, id: alarm.scope_id, destination_id: alarm.destination_id });
      }
      for (const [key, scope] of scopes) {
        const [short, long] = this.quality.stats(scope) as [ReturnType<QualityMonitor['stats']>[0], ReturnType<QualityMonitor['stats']>[0]];
        const reading = readMetric(rule, short, long, short_ms, long_ms, rule.metric === 'trunk_down' && this.health.isDown(scope.id));
        const existing = open.get(`${rule.id}|${key}`);
        const decision = decideAlarm(rule, reading, existing !== undefined);
        if (decision === 'raise') await this.raise(rule, scope, reading);
        else if (decision === 'clear' && existing) await this.clear(existing, ACTOR);
      }
    }
  }

  private async raise(rule: AlarmRule, scope: Scope, reading: MetricReading): Promise<void> {
    const message = `${rule.description}: ${alarmMessage(rule, reading.value)}`;
    const alarm = await this.db.oneOrNone<AlarmRow>(
      `insert into alarms (rule_id, scope_kind, scope_id, destination_id, value, message, action, node_id) values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (rule_id, scope_kind, scope_id, destination_id) where state <> 'cleared' do nothing returning ${ALARM_COLUMNS}`,
      [rule.id, scope.kind, scope.id, scope.destination_id, reading.value, message, rule.action, this.node_id],
    );
    // Another node raised it first.
    if (!alarm) return;
    this.raisedCount[rule.id] = (this.raisedCount[rule.id] ?? 0) + 1;
    let acted = alarm;
    const control = actionControl(rule, scope, alarm.id, message, this.isIngressTrunk);
    if (control) {
      try {
        const made = await this.controls.add(control, `alarm:${alarm.id}`);
        acted = await this.db.one<AlarmRow>(`update alarms set control_id = $2 where id = $1 returning ${ALARM_COLUMNS}`, [alarm.id, made.id]);
      } catch (error) {
        this.log.error({ err: error, alarm_id: alarm.id }, 'an alarm could not act');
      }
    } else if (rule.action !== 'notify') {
      this.log.warn({ rule: rule.id, scope }, 'the rule\'s action does not apply to this scope: notified only');
    }
    await audit(this.db, ACTOR, 'alarm.raised', `alarm:${alarm.id}`, { rule_id: rule.id, scope, value: reading.value, action: rule.action, control_id: acted.control_id });
    this.log.warn({ alarm_id: alarm.id, rule: rule.id, scope, value: reading.value }, message);
    this.publish('raised', acted);
  }

  private async clear(alarm: AlarmRow, actor: string): Promise<AlarmRow | undefined> {
    const cleared = await this.db.tx(async (t) => {
      const row = await t.oneOrNone<AlarmRow>(
        `update alarms set state = 'cleared', cleared_at = now(), cleared_by = $2 where id = $1 and state <> 'cleared' returning ${ALARM_COLUMNS}`, [alarm.id, actor]);
      if (row) await audit(t, actor, 'alarm.cleared', `alarm:${row.id}`, { rule_id: row.rule_id });
      return row;
    });
    if (!cleared) return undefined;
    if (cleared.control_id !== null) await this.controls.clear(cleared.control_id, actor, `alarm ${cleared.id} cleared`);
    this.publish('cleared', cleared);
    return cleared;
  }

  private publish(kind: AlarmEvent['kind'], alarm: AlarmRow): void {
    this.events.next({ kind, alarm });
    this.webhook?.send(`alarm.${kind}`, alarm);
  }
}

/** The routing control an alarm's action puts in force, if the action applies to the scope. */
function actionControl(rule: AlarmRule, scope: Scope, alarm_id: string, reason: string, isIngressTrunk: (trunk_id: string) => boolean): NewControl | undefined {
  const base = { reason: `alarm ${alarm_id}: ${reason}`.slice(0, 500), source: `alarm:${alarm_id}` };
  switch (rule.action) {
    case 'block_buyer_trunk':
      return scope.kind === 'trunk' && isIngressTrunk(scope.id) ? { ...base, kind: 'ingress_trunk_blocked', trunk_id: scope.id } : undefined;
    case 'lower_cps':
      return scope.kind === 'trunk' && isIngressTrunk(scope.id) && rule.action_cps !== null ? { ...base, kind: 'cps_limit', trunk_id: scope.id, cps_limit: rule.action_cps } : undefined;
    case 'seller_out_of_routing':
      return scope.kind === 'seller_destination' ? { ...base, kind: 'seller_out_of_routing', carrier_id: scope.id, destination_id: scope.destination_id || null } : undefined;
    case 'notify':
      return undefined;
  }
}
