import { expect } from 'chai';
import { isOpenReservationState, nextReservationState, type ReservationState, type ReservationTrigger } from './reservation-lifecycle.ts';

describe('credit reservation lifecycle', () => {
  it('extends a pending reservation, then keeps extending it', () => {
    expect(nextReservationState('pending', 'extend')).to.equal('extended');
    expect(nextReservationState('extended', 'extend')).to.equal('extended');
  });

  it('closes an open reservation by posting, voiding or expiring it', () => {
    for (const open of ['pending', 'extended'] as const) {
      expect(nextReservationState(open, 'post')).to.equal('posted');
      expect(nextReservationState(open, 'void')).to.equal('voided');
      expect(nextReservationState(open, 'expire')).to.equal('expired');
    }
  });

  it('never moves a closed reservation again', () => {
    const triggers: ReservationTrigger[] = ['extend', 'post', 'void', 'expire'];
    for (const closed of ['posted', 'voided', 'expired'] as const) {
      for (const trigger of triggers) expect(nextReservationState(closed, trigger), `${closed} + ${trigger}`).to.equal(undefined);
    }
  });

  it('counts only pending and extended reservations as open', () => {
    const states: ReservationState[] = ['pending', 'extended', 'posted', 'voided', 'expired'];
    expect(states.filter(isOpenReservationState)).to.deep.equal(['pending', 'extended']);
  });
});
