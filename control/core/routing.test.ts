import { expect } from 'chai';
import { PrefixTable } from './numbers.ts';
import { rejectReply, routeCall, type EgressTrunk, type IngressTrunk, type RoutableTrade, type RoutingSnapshot } from './routing.ts';

const BUYER = 'buyer';
const CHEAP = 'seller-cheap';
const DEAR = 'seller-dear';

function trade(id: string, seller_id: string, price: bigint, seq: number): RoutableTrade {
  return {
    id, buyer_id: BUYER, seller_id, destination_id: 'uk-london', currency: 'USD', price_per_minute_micros: price,
    first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n, channels: 10, seq,
  };
}

function snapshot(overrides: Partial<RoutingSnapshot> = {}): RoutingSnapshot {
  const destinations = new PrefixTable<string>();
  destinations.set('44', 'uk');
  destinations.set('4420', 'uk-london');
  const ingress: IngressTrunk[] = [
    { id: 'in-plain', carrier_id: BUYER, host: '127.0.0.2', tech_prefix: null, channels: 2, cps: 10 },
    { id: 'in-prefixed', carrier_id: 'buyer-2', host: '127.0.0.2', tech_prefix: '7001#', channels: 2, cps: 10 },
  ];
  const egress = (id: string, carrier_id: string, host: string): EgressTrunk => ({ id, carrier_id, host, port: 5080, transport: 'udp', channels: 5 });
  return {
    carrierStatus: new Map([[BUYER, 'active'], ['buyer-2', 'active'], [CHEAP, 'active'], [DEAR, 'active']]),
    ingressByHost: new Map([['127.0.0.2', ingress]]),
    egressBySeller: new Map([[CHEAP, [egress('out-cheap', CHEAP, '127.0.0.3')]], [DEAR, [egress('out-dear', DEAR, '127.0.0.4')]]]),
    destinations,
    tradesByBuyerDestination: new Map([[`${BUYER}|uk-london`, [trade('t-dear', DEAR, 12_000n, 1), trade('t-cheap', CHEAP, 10_000n, 2)]]]),
    ...overrides,
  };
}

describe('routeCall', () => {
  it('routes to the buyer’s trades for the destination, cheapest first', () => {
    const outcome = routeCall(snapshot(), { source_ip: '127.0.0.2', called: '+442079460000' });
    expect(outcome.ok).to.equal(true);
    if (!outcome.ok) return;
    expect(outcome.number).to.equal('442079460000');
    expect(outcome.destination_id).to.equal('uk-london');
    expect(outcome.legs.map((leg) => leg.trade.id)).to.deep.equal(['t-cheap', 't-dear']);
    expect(outcome.legs.map((leg) => leg.trunk.host)).to.deep.equal(['127.0.0.3', '127.0.0.4']);
  });

  it('breaks a price tie by the earlier trade', () => {
    const trades = [trade('late', DEAR, 10_000n, 9), trade('early', CHEAP, 10_000n, 3)];
    const outcome = routeCall(snapshot({ tradesByBuyerDestination: new Map([[`${BUYER}|uk-london`, trades]]) }), { source_ip: '127.0.0.2', called: '442079460000' });
    expect(outcome.ok && outcome.legs.map((leg) => leg.trade.id)).to.deep.equal(['early', 'late']);
  });

  it('picks the trunk whose tech prefix the number carries, and strips it', () => {
    const outcome = routeCall(snapshot(), { source_ip: '127.0.0.2', called: '7001#442079460000' });
    expect(outcome.ok).to.equal(false);
    expect(outcome.buyer_id).to.equal('buyer-2');
    expect(outcome.number).to.equal('442079460000');
    expect(!outcome.ok && outcome.reason).to.equal('no_trade');
  });

  it('rejects an unknown source, a suspended buyer, a bad number and an unknown destination', () => {
    const reason = (s: RoutingSnapshot, source_ip: string, called: string) => {
      const outcome = routeCall(s, { source_ip, called });
      return outcome.ok ? 'routed' : outcome.reason;
    };
    expect(reason(snapshot(), '127.0.0.9', '442079460000')).to.equal('unknown_trunk');
    expect(reason(snapshot({ carrierStatus: new Map([[BUYER, 'suspended']]) }), '127.0.0.2', '442079460000')).to.equal('carrier_suspended');
    expect(reason(snapshot(), '127.0.0.2', '44x')).to.equal('invalid_number');
    expect(reason(snapshot(), '127.0.0.2', '33123456789')).to.equal('unknown_destination');
    expect(reason(snapshot(), '127.0.0.2', '447700900123')).to.equal('no_trade');
  });

  it('skips a suspended seller; with no seller left the call is refused', () => {
    const status = new Map<string, 'active' | 'suspended'>([[BUYER, 'active'], [CHEAP, 'suspended'], [DEAR, 'active']]);
    const outcome = routeCall(snapshot({ carrierStatus: status }), { source_ip: '127.0.0.2', called: '442079460000' });
    expect(outcome.ok && outcome.legs.map((leg) => leg.trade.id)).to.deep.equal(['t-dear']);
    const none = routeCall(snapshot({ carrierStatus: status, egressBySeller: new Map() }), { source_ip: '127.0.0.2', called: '442079460000' });
    expect(!none.ok && none.reason).to.equal('no_seller_trunk');
  });

  it('skips a trade or a seller trunk at its channel limit, and refuses a full ingress trunk', () => {
    const setup = { source_ip: '127.0.0.2', called: '442079460000' };
    const tradeFull = routeCall(snapshot(), setup, { byIngressTrunk: new Map(), byEgressTrunk: new Map(), byTrade: new Map([['t-cheap', 10]]) });
    expect(tradeFull.ok && tradeFull.legs.map((leg) => leg.trade.id)).to.deep.equal(['t-dear']);
    const trunkFull = routeCall(snapshot(), setup, { byIngressTrunk: new Map(), byEgressTrunk: new Map([['out-dear', 5]]), byTrade: new Map() });
    expect(trunkFull.ok && trunkFull.legs.map((leg) => leg.trade.id)).to.deep.equal(['t-cheap']);
    const allFull = routeCall(snapshot(), setup, { byIngressTrunk: new Map(), byEgressTrunk: new Map([['out-dear', 5], ['out-cheap', 9]]), byTrade: new Map([['t-cheap', 10]]) });
    expect(!allFull.ok && allFull.reason).to.equal('no_capacity');
    const ingressFull = routeCall(snapshot(), setup, { byIngressTrunk: new Map([['in-plain', 2]]), byEgressTrunk: new Map(), byTrade: new Map() });
    expect(!ingressFull.ok && ingressFull.reason).to.equal('ingress_channels_full');
  });

  it('keeps every leg of a call in the currency of its first-choice trade', () => {
    const euro = (id: string, seller_id: string, price: bigint, seq: number): RoutableTrade => ({ ...trade(id, seller_id, price, seq), currency: 'EUR' });
    const setup = { source_ip: '127.0.0.2', called: '442079460000' };
    const mixed = [trade('usd-dear', DEAR, 12_000n, 1), euro('eur-cheap', CHEAP, 9_000n, 2), euro('eur-dear', DEAR, 13_000n, 3), trade('usd-cheap', CHEAP, 10_000n, 4)];
    const outcome = routeCall(snapshot({ tradesByBuyerDestination: new Map([[`${BUYER}|uk-london`, mixed]]) }), setup);
    expect(outcome.ok && outcome.legs.map((leg) => `${leg.trade.id}:${leg.trade.currency}`)).to.deep.equal(['eur-cheap:EUR', 'eur-dear:EUR']);
    // The first-choice trade is the first that can carry the call: with the cheapest full, the call goes in dollars.
    const full = routeCall(snapshot({ tradesByBuyerDestination: new Map([[`${BUYER}|uk-london`, mixed]]) }), setup,
      { byIngressTrunk: new Map(), byEgressTrunk: new Map(), byTrade: new Map([['eur-cheap', 10]]) });
    expect(full.ok && full.legs.map((leg) => leg.trade.id)).to.deep.equal(['usd-cheap', 'usd-dear']);
  });

  it('maps reasons to SIP: 403 for who you are, 404/484 for the number, 503 where another carrier may help', () => {
    expect(rejectReply('unknown_trunk').code).to.equal(403);
    expect(rejectReply('carrier_suspended').code).to.equal(403);
    expect(rejectReply('invalid_number').code).to.equal(484);
    expect(rejectReply('unknown_destination').code).to.equal(404);
    expect(rejectReply('no_trade')).to.deep.equal({ code: 503, phrase: 'Service Unavailable', reason: 'no trade for destination' });
    expect(rejectReply('insufficient_credit')).to.deep.equal({ code: 402, phrase: 'Payment Required', reason: 'insufficient credit' });
    expect(rejectReply('call_rate_exceeded').code).to.equal(503);
  });
});
