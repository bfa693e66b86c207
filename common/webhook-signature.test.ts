import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature.ts';

const SECRET = 'whsec_test';
const BODY = '{"id":"evt_1","type":"collection.payment_received"}';

describe('webhook signatures', () => {
  it('signs HMAC-SHA256 over "timestamp.body"', () => {
    const expected = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, 1_700_000_000, BODY)).to.equal(`t=1700000000,v1=${expected}`);
  });

  it('accepts a fresh, intact webhook and refuses everything else', () => {
    const header = signWebhook(SECRET, 1_700_000_000, BODY);
    expect(verifyWebhook(SECRET, header, BODY, 1_700_000_000 + 300)).to.deep.equal({ ok: true, timestamp_s: 1_700_000_000 });
    expect(verifyWebhook(SECRET, header, BODY, 1_700_000_000 + 301)).to.deep.equal({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWebhook(SECRET, header, BODY, 1_700_000_000 - 301)).to.deep.equal({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWebhook(SECRET, header, `${BODY} `, 1_700_000_000)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhook('other', header, BODY, 1_700_000_000)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    // The timestamp is signed too: moving it breaks the signature.
    expect(verifyWebhook(SECRET, header.replace('t=1700000000', 't=1700000100'), BODY, 1_700_000_000)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhook(SECRET, undefined, BODY, 1_700_000_000)).to.deep.equal({ ok: false, reason: 'missing_signature' });
    expect(verifyWebhook(SECRET, 't=abc,v1=00', BODY, 1_700_000_000)).to.deep.equal({ ok: false, reason: 'malformed_signature' });
  });
});
