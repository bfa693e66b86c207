import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DEFAULT_OVERDUE_POLICY } from '../core/overdue-policy.ts';
import { rejectReply } from '../../control/core/routing.ts';
import { BuyingBlocks } from './buying-blocks.ts';
import { MAX_NOTICE_ATTEMPTS, noticeBackoffMs } from './notice-delivery.ts';
import { pastDueView } from './overdue-store.ts';

describe('overdue parts', () => {
  it('starts the database with the default policy of the code', () => {
    const sql = readFileSync(new URL('../../db/migrations/023_overdue.sql', import.meta.url), 'utf8');
    const seeded = /values \('(\[[\s\S]*?\])'::jsonb/.exec(sql);
    expect(JSON.parse(seeded![1]!)).to.deep.equal(DEFAULT_OVERDUE_POLICY);
  });

  it('retries a notice with doubling backoff, capped at an hour', () => {
    expect([1, 2, 3, 4].map(noticeBackoffMs)).to.deep.equal([1_000, 2_000, 4_000, 8_000]);
    expect(noticeBackoffMs(MAX_NOTICE_ATTEMPTS)).to.equal(2_048_000);
    expect(noticeBackoffMs(40)).to.equal(3_600_000);
  });

  it('keeps the blocked buyers, replaced whole at each reload', () => {
    const blocks = new BuyingBlocks();
    blocks.set('b', true);
    blocks.set('a', true);
    expect(blocks.isBlocked('a')).to.equal(true);
    blocks.set('a', false);
    expect(blocks.list()).to.deep.equal(['b']);
    blocks.replaceAll(['c']);
    expect([blocks.isBlocked('b'), blocks.isBlocked('c')]).to.deep.equal([false, true]);
  });

  it('keeps a transition made while a reload was reading the database', () => {
    const blocks = new BuyingBlocks();
    const mark = blocks.mark();
    // The reload read "x blocked, y not"; meanwhile x paid and y fell past due on this node.
    blocks.set('x', false);
    blocks.set('y', true);
    blocks.replaceAll(['x'], mark);
    expect(blocks.list()).to.deep.equal(['y']);
    // The next reload sees both changes in the database and is taken whole.
    blocks.replaceAll(['y', 'z'], blocks.mark());
    expect(blocks.list()).to.deep.equal(['y', 'z']);
  });

  it('refuses a blocked buyer at setup with 403 and the reason "account past due"', () => {
    expect(rejectReply('account_past_due')).to.deep.equal({ code: 403, phrase: 'Forbidden', reason: 'account past due' });
  });

  it('shows past-due amounts as decimal strings per currency, in currency order', () => {
    expect(pastDueView(new Map([['USD', 25_200n], ['EUR', 1n]]))).to.deep.equal({ EUR: '0.000001', USD: '0.025200' });
  });
});
