/** A reservation as stored in credit_reservations, and the one transition function it moves by. */
import type { ReservationState } from '../core/credit/reservation-lifecycle.ts';
import { nextReservationState } from '../core/credit/reservation-lifecycle.ts';
import type { CallPricing } from '../core/credit/credit-math.ts';
import { legsFromJson } from './stored-legs.ts';

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

/** How a reservation is priced: on all its legs, or on the answered one alone. */
export function pricingOf(reservation: ReservationRow, answered_leg: number | null): CallPricing {
  const legs = legsFromJson(reservation.legs);
  if (answered_leg === null) return { legs, fee_per_minute_micros: reservation.fee_per_minute_micros };
  const leg = legs[answered_leg];
  if (leg === undefined) throw new RangeError(`answered_leg ${answered_leg} is not one of the ${legs.length} legs of call ${reservation.call_id}`);
  return { legs: [leg], fee_per_minute_micros: reservation.fee_per_minute_micros };
}

/** The leg an extension is rated on: the one already recorded, or the one the caller names now. */
export function answeredLegFor(reservation: ReservationRow, requested: number | undefined): number | null {
  if (requested === undefined) return reservation.answered_leg;
  if (!Number.isSafeInteger(requested) || requested < 0) throw new RangeError(`answered_leg must be a whole number >= 0, got ${requested}`);
  if (reservation.answered_leg !== null && reservation.answered_leg !== requested) {
    throw new Error(`call ${reservation.call_id} was answered on leg ${reservation.answered_leg}, not ${requested}`);
  }
  return requested;
}
