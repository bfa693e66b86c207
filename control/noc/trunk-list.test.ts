import { expect } from 'chai';
import { renderTrunkList, trunkStates } from './trunk-list.ts';

describe('trunk list for the switch', () => {
  it('lists egress trunks to ping and ingress addresses to answer', () => {
    const text = renderTrunkList({
      egressBySeller: new Map([['s1', [{ id: 'out-1', carrier_id: 's1', host: '10.0.0.1', port: 5080, transport: 'udp', channels: 1 }]]]),
      ingressByHost: new Map([['10.0.0.9', []]]),
    });
    expect(text).to.equal('1 sip:10.0.0.1:5080 0 0 duid=out-1\n2 sip:10.0.0.9 4 0 duid=ingress-10.0.0.9\n');
  });

  it('reads up and down from dispatcher.list', () => {
    const dest = (duid: string, flags: string) => ({ DEST: { URI: 'sip:x', FLAGS: flags, ATTRS: { DUID: duid } } });
    const states = trunkStates({ RECORDS: [
      { SET: { ID: 1, TARGETS: [dest('a', 'AP'), dest('b', 'TP'), dest('c', 'IP')] } },
      { SET: { ID: 2, TARGETS: [dest('ingress-x', 'DX')] } },
    ] });
    expect([...states]).to.deep.equal([['a', 'up'], ['b', 'up'], ['c', 'down']]);
    expect(trunkStates(null).size).to.equal(0);
  });
});
