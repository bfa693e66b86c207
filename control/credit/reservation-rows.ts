/** A reservation as stored in credit_reservations, and the one transition function it moves by. */
import type { ReservationState } from '../core/credit/reservation-lifecycle.ts';
import { nextReservationState } from '../core/credit/reservation-lifecycle.ts';

export type SettleOutcome = 'posted' | 'voided' | 'none';

export interface OpenReservation {
  readonly call_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  readonly amount_micros: bigint;
  readonly state: ReservationState;
  readonly planned_end_ms: bigint;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface ReservationRow extends OpenReservation {
  readonly legs: unknown;
  readonly answered_leg: number | null;
  readonly fee_per_minute_micros: bigint;
  readonly slack_ms: bigint;
  /** The lease the reservation was served from (its amount lives inside the lease), or null. */
  readonly lease_id: string | null;
  /** The control-plane node that owns the call. */
  readonly node_id: string | null;
}

export const RESERVATION_COLUMNS = `call_id, carrier_id, currency, amount_micros, state, planned_end_ms, created_at, updated_at,
  legs, answered_leg, fee_per_minute_micros, slack_ms, lease_id, node_id`;

export function transition(reservation: ReservationRow, trigger: 'extend' | 'post' | 'void' | 'expire'): ReservationState {
  const next = nextReservationState(reservation.state, trigger);
  if (next === undefined) throw new Error(`reservation ${reservation.call_id} cannot ${trigger} from ${reservation.state}`);
  return next;
}
