import { expect } from 'chai';
import { operatorMay } from './roles.ts';

describe('operator roles', () => {
  it('lets every role read and only an admin change what no role is given', () => {
    for (const role of ['viewer', 'noc', 'finance', 'admin'] as const) expect(operatorMay(role, 'GET', '/v1/cdrs')).to.equal(true);
    expect(operatorMay('admin', 'POST', '/v1/operators')).to.equal(true);
    for (const role of ['viewer', 'noc', 'finance'] as const) expect(operatorMay(role, 'POST', '/v1/operators')).to.equal(false);
  });

  it('keeps a viewer from changing anything, and each role to its own routes', () => {
    for (const route of ['POST /v1/calls/:call_id/hangup', 'PUT /v1/carriers/:id/credit-limit', 'POST /v1/orders', 'DELETE /v1/orders/:id']) {
      const [method, url] = route.split(' ') as [string, string];
      expect(operatorMay('viewer', method, url), route).to.equal(false);
    }
    expect(operatorMay('noc', 'POST', '/v1/calls/:call_id/hangup')).to.equal(true);
    expect(operatorMay('noc', 'PUT', '/v1/carriers/:id/credit-limit')).to.equal(false);
    expect(operatorMay('noc', 'PUT', '/v1/carriers/:id/status')).to.equal(true);
    expect(operatorMay('noc', 'DELETE', '/v1/orders/:id')).to.equal(true);
    expect(operatorMay('finance', 'DELETE', '/v1/orders/:id')).to.equal(false);
    // One hang-up route: the NOC's old duplicate is gone, so no role is given it.
    expect(operatorMay('noc', 'POST', '/v1/noc/calls/:call_id/hangup')).to.equal(false);
    expect(operatorMay('finance', 'PUT', '/v1/carriers/:id/credit-limit')).to.equal(true);
    expect(operatorMay('finance', 'POST', '/v1/calls/:call_id/hangup')).to.equal(false);
  });
});
