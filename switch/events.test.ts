import { expect } from 'chai';
import { MAX_CALL_ID_CHARS, MAX_NUMBER_CHARS, parseSwitchEvent, type ParseResult } from './events.ts';

const AT = '1700000000.123456';
const parse = (fields: Record<string, unknown>): ParseResult => parseSwitchEvent(JSON.stringify(fields));
const routeRequest = (overrides: Record<string, unknown> = {}) => ({
  event: 'route_request', tindex: 1, tlabel: 2, call_id: 'abc@host', source_ip: '127.0.0.1', source_port: 5060, called: '4930123', caller: '111', at: AT, ...overrides,
});
const reasonOf = (result: ParseResult) => (result.ok ? undefined : result.reason);

describe('switch event parser', () => {
  it('parses a media timeout: when the relay gave the call up and after how long without RTP', () => {
    expect(parse({ event: 'media_timeout', call_id: 'abc@host', timeout_s: 60, at: AT })).to.deep.equal({
      ok: true, event: { kind: 'media_timeout', call_id: 'abc@host', timeout_s: 60, at_us: 1700000000123456n },
    });
    expect(reasonOf(parse({ event: 'media_timeout', call_id: 'abc@host', at: AT }))).to.equal('timeout_s is not a whole number');
  });

  it('parses the media relay\'s measures, each of which may be missing', () => {
    expect(parse({ event: 'media_stats', call_id: 'c', packets: 100, mos_x10: 43, packet_loss_pct: 1, jitter_ms: 12, at: AT })).to.deep.equal({
      ok: true, event: { kind: 'media_stats', call_id: 'c', stats: { packets: 100, mos_x10: 43, packet_loss_pct: 1, jitter_ms: 12 }, at_us: 1700000000123456n },
    });
    expect(parse({ event: 'media_stats', call_id: 'c', packets: -1, at: AT })).to.deep.include({ ok: true });
    expect(reasonOf(parse({ event: 'media_stats', call_id: 'c', packets: 1, mos_x10: 60, at: AT }))).to.equal('mos_x10 is not a whole number from 10 to 50');
  });

  it('parses a route request', () => {
    expect(parse(routeRequest())).to.deep.equal({
      ok: true,
      event: { kind: 'route_request', transaction: { index: 1, label: 2 }, call_id: 'abc@host', source_ip: '127.0.0.1', source_port: 5060, called: '4930123', caller: '111', at_us: 1700000000123456n },
    });
  });

  it('accepts a Call-ID of 256 characters and refuses one of 257', () => {
    expect(parse(routeRequest({ call_id: 'x'.repeat(MAX_CALL_ID_CHARS) })).ok).to.equal(true);
    expect(reasonOf(parse(routeRequest({ call_id: 'x'.repeat(MAX_CALL_ID_CHARS + 1) })))).to.equal('call_id has 257 characters, more than 256');
    expect(reasonOf(parse({ event: 'call_ended', call_id: 'x'.repeat(300), by: 'caller', at: AT }))).to.match(/^call_id has 300 characters/);
  });

  it('bounds numbers, addresses, ports and integers', () => {
    expect(parse(routeRequest({ called: '4'.repeat(MAX_NUMBER_CHARS) })).ok).to.equal(true);
    expect(reasonOf(parse(routeRequest({ called: '4'.repeat(MAX_NUMBER_CHARS + 1) })))).to.match(/^called has 65 characters/);
    expect(reasonOf(parse(routeRequest({ caller: 'c'.repeat(1000) })))).to.match(/^caller has 1000 characters/);
    expect(reasonOf(parse(routeRequest({ source_ip: '1'.repeat(46) })))).to.match(/^source_ip has 46 characters/);
    expect(reasonOf(parse(routeRequest({ source_port: 70000 })))).to.equal('source_port 70000 is not a port');
    expect(reasonOf(parse(routeRequest({ tindex: 2 ** 40 })))).to.equal('tindex is not a whole number');
    expect(reasonOf(parse({ event: 'bye_sent', call_id: 'a', to_uri: `sip:${'u'.repeat(600)}@h`, at: AT }))).to.match(/^to_uri has/);
    expect(reasonOf(parse({ event: 'x'.repeat(100) }))).to.match(/^event has 100 characters/);
  });

  it('parses route_late', () => {
    expect(parse({ event: 'route_late', call_id: 'late@host', at: AT })).to.deep.equal({ ok: true, event: { kind: 'route_late', call_id: 'late@host', at_us: 1700000000123456n } });
    expect(reasonOf(parse({ event: 'route_late', call_id: '', at: AT }))).to.equal('call_id is missing or not a string');
  });

  it('parses setup_failed with its SIP code and a bounded reason', () => {
    expect(parse({ event: 'setup_failed', call_id: 'f@host', code: 500, reason: 'relay failed', at: AT })).to.deep.equal({
      ok: true, event: { kind: 'setup_failed', call_id: 'f@host', code: 500, reason: 'relay failed', at_us: 1700000000123456n },
    });
    expect(reasonOf(parse({ event: 'setup_failed', call_id: 'f@host', code: 42, reason: 'x', at: AT }))).to.equal('code 42 is not a SIP status');
    expect(reasonOf(parse({ event: 'setup_failed', call_id: 'f@host', code: 500, reason: 'r'.repeat(121), at: AT }))).to.match(/^reason has 121 characters/);
  });

  it('parses timeout_not_set with or without the call and its dialog', () => {
    expect(parse({ event: 'timeout_not_set', call_id: 't@host', at: AT })).to.deep.equal({
      ok: true, event: { kind: 'timeout_not_set', call_id: 't@host', dialog: null, at_us: 1700000000123456n },
    });
    expect(parse({ event: 'timeout_not_set', call_id: '', h_entry: 12, h_id: 34, at: AT })).to.deep.equal({
      ok: true, event: { kind: 'timeout_not_set', call_id: '', dialog: { h_entry: 12, h_id: 34 }, at_us: 1700000000123456n },
    });
    expect(parse({ event: 'timeout_not_set', call_id: 'n@host', h_entry: -1, h_id: -1, at: AT })).to.deep.include({ ok: true });
  });

  it('reports malformed events instead of throwing', () => {
    expect(reasonOf(parseSwitchEvent('{'))).to.equal('not JSON');
    expect(reasonOf(parseSwitchEvent('[1]'))).to.equal('not a JSON object');
    expect(reasonOf(parse({ event: 'route_late', call_id: 'a', at: '1700000000.5' }))).to.equal('at is not seconds.microseconds');
    expect(reasonOf(parse({ event: 'agent_accepted' }))).to.equal('unknown event "agent_accepted"');
  });
});
