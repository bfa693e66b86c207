import { expect } from 'chai';
import type { SubmitOutcome } from './exchange.ts';
import { ExchangeUnavailableError, notLeader } from './exchange-unavailable.ts';
import { ForwardedSubmits, settleForwarded, type ForwardedSubmit } from './forwarded-submits.ts';
import type { ParsedOrder } from './order-input.ts';

const order = (client_order_id: string) => ({ client_order_id }) as unknown as ParsedOrder;
const outcomeOf = ([submitted]: ForwardedSubmit): SubmitOutcome => ({
  ok: true, order_id: submitted.client_order_id!, duplicate: false, trade_ids: [], order: null, trades: [],
});
const resultOf = (submit: ForwardedSubmit) => ({ outcome: outcomeOf(submit) });

describe('submits forwarded to the leader', () => {
  it('sends one alone at once, and those that arrive meanwhile together next, each with its own outcome', async () => {
    const groups: string[][] = [];
    const submits = new ForwardedSubmits(async (group) => {
      groups.push(group.map(([submitted]) => submitted.client_order_id!));
      await new Promise((resolve) => setTimeout(resolve, 10));
      return group.map(resultOf);
    });
    // One group is on its way at a time: the first goes alone, the rest together next.
    const ids = ['a', 'b', 'c', 'd'];
    const outcomes = await Promise.all(ids.map((id) => submits.submit(order(id), 'x')));
    expect(groups).to.deep.equal([['a'], ['b', 'c', 'd']]);
    expect(outcomes.map((outcome) => outcome.ok && outcome.order_id)).to.deep.equal(ids);
  });

  it('fails every submit of a group that could not be sent, and sends the next group', async () => {
    let calls = 0;
    const submits = new ForwardedSubmits((group) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('leader gone')) : Promise.resolve(group.map(resultOf));
    });
    const failed = submits.submit(order('a'), 'x').then(() => 'stored', (error: Error) => error.message);
    expect(await failed).to.equal('leader gone');
    const next = await submits.submit(order('b'), 'x');
    expect(next.ok && next.order_id).to.equal('b');
  });
});

describe('a forwarded group at the leader', () => {
  it('answers each submit on its own: one stored, one refused by the fence, one failed', async () => {
    const stored = Promise.resolve(outcomeOf([order('a'), 'x']));
    const results = await settleForwarded([stored, Promise.reject(notLeader()), Promise.reject(new Error('database down'))]);
    expect(results).to.deep.equal([
      { outcome: outcomeOf([order('a'), 'x']) },
      { refused: 'not_leader', message: notLeader().message },
      { refused: 'failed', message: 'database down' },
    ]);
    // At the forwarding node, each becomes its own answer: only the refused one may be sent again safely.
    const byReference = new Map([['a', results[0]!], ['b', results[1]!], ['c', results[2]!]]);
    const submits = new ForwardedSubmits((group) => Promise.resolve(group.map(([submitted]) => byReference.get(submitted.client_order_id!)!)));
    const settled = await Promise.allSettled([submits.submit(order('a'), 'x'), submits.submit(order('b'), 'x'), submits.submit(order('c'), 'x')]);
    expect(settled[0]).to.have.property('status', 'fulfilled');
    const refused = (settled[1] as PromiseRejectedResult).reason as ExchangeUnavailableError;
    expect([refused instanceof ExchangeUnavailableError, refused.stored]).to.deep.equal([true, 'no']);
    expect(((settled[2] as PromiseRejectedResult).reason as Error).message).to.contain('database down');
  });
});
