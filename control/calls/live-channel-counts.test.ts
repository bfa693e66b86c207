import { expect } from 'chai';
import type { LiveCall } from '../core/cdr.ts';
import type { Leg } from '../core/routing.ts';
import { LiveChannelCounts } from './live-channel-counts.ts';

const leg = (trade: string, trunk: string): { leg: Leg; sip_code: null } => ({
  leg: {
    trade: { id: trade, buyer_id: 'b', seller_id: 's', destination_id: 'd', currency: 'USD', price_per_minute_micros: 1n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n, channels: 1, seq: 1 },
    trunk: { id: trunk, carrier_id: 's', host: '127.0.0.3', port: 5080, transport: 'udp', channels: 1 },
  },
  sip_code: null,
});

function call(call_id: string, current_leg = 0): LiveCall {
  return {
    call_id, buyer_id: 'b', ingress_trunk_id: 'in', dialled_number: '1', number: '1', destination_id: 'd', legs: [leg('t1', 'out1'), leg('t2', 'out2')],
    state: 'routing', setup_us: 0n, ring_us: null, answer_us: null, answered_leg: null, current_leg, end_reason: null, dialog: null, fee_per_minute_micros: 0n,
  };
}

describe('LiveChannelCounts', () => {
  it('counts the ingress trunk and the current leg of each call, and moves a call that fails over', () => {
    const counts = new LiveChannelCounts();
    const first = call('a');
    counts.place(first);
    counts.place(call('b'));
    expect(counts.view().byIngressTrunk.get('in')).to.equal(2);
    expect(counts.view().byTrade.get('t1')).to.equal(2);
    first.current_leg = 1;
    counts.place(first);
    expect(counts.view().byTrade.get('t1')).to.equal(1);
    expect(counts.view().byTrade.get('t2')).to.equal(1);
    expect(counts.view().byEgressTrunk.get('out2')).to.equal(1);
    expect(counts.view().byIngressTrunk.get('in')).to.equal(2);
  });

  it('forgets a call that ended, and ignores one it never counted', () => {
    const counts = new LiveChannelCounts();
    counts.place(call('a'));
    counts.remove('a');
    counts.remove('never');
    expect(counts.view().byIngressTrunk.size).to.equal(0);
    expect(counts.view().byTrade.size).to.equal(0);
  });
});
