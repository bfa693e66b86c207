import { expect } from 'chai';
import { encodeDecision, MAX_DECISION_RECORD_CHARS, type RouteDecision } from './decisions.ts';

const REQUEST = { transaction: { index: 7, label: 9 }, call_id: 'abc@host' };
const route = (record?: string): RouteDecision => ({
  kind: 'route', targets: [{ number: '4930123', host: '127.0.0.2', port: 5080, transport: 'udp' }], max_duration_s: 120, ...(record === undefined ? {} : { record }),
});

describe('route decision encoding', () => {
  it('names the transaction and the Call-ID, so the switch can report a decision that came too late', () => {
    expect(JSON.parse(encodeDecision(REQUEST, { kind: 'reject', code: 403, phrase: 'Forbidden', reason: 'no credit' }))).to.deep.equal({
      action: 'reject', tindex: 7, tlabel: 9, call_id: 'abc@host', code: 403, phrase: 'Forbidden', reason: 'no credit',
    });
  });

  it('carries the decision record when there is one, and leaves it out otherwise', () => {
    const record = JSON.stringify({ buyer: 'b', currency: 'USD', hold_micros: '1000' });
    const encoded = JSON.parse(encodeDecision(REQUEST, route(record))) as Record<string, unknown>;
    expect(encoded).to.include({ action: 'route', call_id: 'abc@host', max_duration_s: 120, record });
    expect(encoded['routes']).to.deep.equal({ version: '1.0', routing: 'serial', routes: [{ uri: 'sip:4930123@127.0.0.2:5080' }] });
    expect(JSON.parse(encodeDecision(REQUEST, route()))).to.not.have.property('record');
  });

  it('refuses a record over 2,000 characters', () => {
    expect(() => encodeDecision(REQUEST, route('r'.repeat(MAX_DECISION_RECORD_CHARS)))).to.not.throw();
    expect(() => encodeDecision(REQUEST, route('r'.repeat(MAX_DECISION_RECORD_CHARS + 1)))).to.throw(RangeError, /at most 2000/);
  });
});
