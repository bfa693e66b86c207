/** What the API's handlers need, passed in at start so tests can build the API around a test database. */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import type { LedgerStore } from '../../billing/ledger-store.ts';
import type { CallTracker } from '../calls/call-tracker.ts';
import type { MemberStore } from '../store/members.ts';
import type { RoutingSnapshotCache } from '../store/routing-snapshot.ts';
import type { ExchangeGateway } from '../exchange/gateway.ts';
import type { CreditStore } from '../credit/credit-store.ts';
import type { OverdueService } from '../../billing/overdue/overdue-service.ts';
import type { RateLimits } from './rate-limits.ts';
import type { Noc } from '../noc/noc.ts';
import type { Assessor } from '../assessment/assessor.ts';

export interface HealthReport {
  readonly database: boolean;
  readonly switch: boolean;
  readonly agent: boolean;
}

/** Commands to the switch that operators may give. */
export interface SwitchControl {
  /** Ends a live call now (BYE to both sides); false when the call is unknown or not answered. */
  endCall(call_id: string, reason: string): boolean;
}

export interface ApiDependencies {
  readonly db: Db;
  readonly log: Logger;
  readonly operatorToken: string;
  readonly members: MemberStore;
  readonly ledger: LedgerStore;
  readonly calls: CallTracker;
  readonly exchange: ExchangeGateway;
  readonly snapshots: RoutingSnapshotCache;
  readonly switchControl: SwitchControl;
  readonly credits: CreditStore;
  /** Credit assessments (the bureau, the scorecard); absent where none is configured. */
  readonly assessor?: Assessor;
  /** The financial services node: where to ask for money, and the secret its webhooks are signed with. */
  readonly fsn?: { readonly url: string; readonly webhookSecret: string };
  /** The secret the credit bureau's monitoring alerts are signed with; absent: alerts are refused. */
  readonly bureau?: { readonly webhookSecret: string };
  /** The overdue policy: re-evaluated after money moves, and the buyers it blocks. */
  readonly overdue?: OverdueService;
  /** How much one client may ask, and how many live streams one principal may hold (config defaults when absent). */
  readonly limits?: { readonly rate: RateLimits; readonly maxStreamsPerPrincipal: number };
  /** HTTPS: the PEM certificate and key (plain HTTP when absent). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Quality, trunk health, routing controls, alarms and metrics (control/noc); absent in API-only tests. */
  readonly noc?: Noc;
  health(): Promise<HealthReport>;
}
