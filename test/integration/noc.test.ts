/**
 * The NOC with real PostgreSQL, Kamailio and SIPp: OPTIONS from a known trunk answered 200; a seller
 * trunk that stops answering the switch's OPTIONS pings taken out of routing (and raised as an
 * alarm) until it answers again; a seller whose measured ASR is below a buyer's floor skipped for
 * that buyer; an alarm rule that takes a seller out of routing, acknowledged and cleared; an
 * operator blocking a buyer's trunk; per-minute quality in PostgreSQL; Prometheus metrics.
 *
 * Market: three sellers (dead: no SIP at first; bad: answers 503; good: answers) in creation
 * order, so routing tries them in that order; buyer "floor" asks for ASR ≥ 50%, buyer "plain"
 * asks for nothing.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { SIGNATURE_HEADER, verifyWebhook } from '../../common/webhook-signature.ts';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { runSipp, startSipp, stopAllSipp, type SippProcess } from '../../sipp/runner.ts';
import { carrierClient } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const FLOOR_BUYER_IP = '127.0.120.1';
const PLAIN_BUYER_IP = '127.0.120.2';
const DEAD_IP = '127.0.120.10';
const BAD_IP = '127.0.120.11';
const GOOD_IP = '127.0.120.12';
const BUYER_PORT = 12030;
const SELLER_PORT = 12040;
const NUMBER = '3361234567';
const WEBHOOK_PORT = 12050;
const WEBHOOK_SECRET = 'noc-test-webhook-secret';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = fileURLToPath(new URL('../../docs/noc-live-page.png', import.meta.url));

interface CdrJson { call_id: string; seller_id: string | null; final_sip_code: number; final_reason: string; legs: Array<{ seller_id: string; sip_code: number }> }
interface AlarmJson { id: string; rule_id: string; scope_id: string; state: string; control_id: string | null; message: string }

describe('the NOC: trunk health, quality in routing, alarms that act', function () {
  this.timeout(180_000);
  let running: RunningSystem;
  let floorBuyer: Carrier, plainBuyer: Carrier, dead: Carrier, bad: Carrier, good: Carrier;
  let deadTrunk: string, plainTrunk: string, destination: string;
  const uas: SippProcess[] = [];
  /** Alarm webhooks received by the operator's endpoint (a sandbox HTTP server). */
  const hooks: Array<{ body: string; signature: string | undefined }> = [];
  let hookServer: Server;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-noc-'));

  const answerer = (ip: string, scenario = 'uas-answer.xml') => {
    const process = startSipp({ scenario, localAddress: ip, localPort: SELLER_PORT, maxRunMs: 170_000 }, workDir);
    uas.push(process);
    return process;
  };
  const call = (ip: string, scenario = 'uac-call-expect-200.xml') => runSipp({
    scenario, localAddress: ip, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 200, maxRunMs: 20_000,
  }, workDir);
  /** The newest CDR of a buyer, once there are `count`. */
  const lastCdr = (buyer: Carrier, count: number) => eventually(async () => {
    const cdrs = (await running.api<{ cdrs: CdrJson[] }>('GET', `/v1/cdrs?carrier_id=${buyer.id}`)).body.cdrs;
    return cdrs.length >= count ? cdrs[0] : undefined;
  }, 15_000, `${count} CDRs of a buyer`);
  const trunkState = async (trunk_id: string) => (await running.api<{ trunks: Array<{ trunk_id: string; state: string }> }>('GET', '/v1/noc/trunks')).body.trunks.find((trunk) => trunk.trunk_id === trunk_id)?.state;
  const openAlarms = async () => (await running.api<{ alarms: AlarmJson[] }>('GET', '/v1/noc/alarms?open=true')).body.alarms;
  let floorCalls = 0;
  let plainCalls = 0;

  before(async () => {
    hookServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        hooks.push({ body, signature: request.headers[SIGNATURE_HEADER] as string | undefined });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(WEBHOOK_PORT, '127.0.0.1', resolve));
    running = await startTestSystem({ sip: 12020, evapi: 12021, jsonrpc: 12022, api: 12023 }, {
      MINUTEX_TRUNK_PING_INTERVAL_S: '1', MINUTEX_TRUNK_DOWN_AFTER: '2', MINUTEX_TRUNK_UP_AFTER: '1',
      MINUTEX_QUALITY_MIN_ATTEMPTS: '5', MINUTEX_QUALITY_PROBE_PERCENT: '0', MINUTEX_ALARM_EVALUATE_MS: '300', MINUTEX_QUALITY_FLUSH_MS: '500',
      MINUTEX_SELLER_NO_REPLY_TIMEOUT_MS: '1000', MINUTEX_QUALITY_FLAG_AFTER_MS: '1000',
      MINUTEX_ALARM_WEBHOOK_URL: `http://127.0.0.1:${WEBHOOK_PORT}/alarms`, MINUTEX_ALARM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    floorBuyer = await createCarrier(running, 'Floor Buyer');
    plainBuyer = await createCarrier(running, 'Plain Buyer');
    dead = await createCarrier(running, 'Dead Seller');
    bad = await createCarrier(running, 'Bad Seller');
    good = await createCarrier(running, 'Good Seller');
    await addTrunk(running, floorBuyer!, { direction: 'ingress', address: FLOOR_BUYER_IP });
    plainTrunk = await addTrunk(running, plainBuyer!, { direction: 'ingress', address: PLAIN_BUYER_IP });
    deadTrunk = await addTrunk(running, dead!, { direction: 'egress', address: `${DEAD_IP}:${SELLER_PORT}` });
    await addTrunk(running, bad!, { direction: 'egress', address: `${BAD_IP}:${SELLER_PORT}` });
    await addTrunk(running, good!, { direction: 'egress', address: `${GOOD_IP}:${SELLER_PORT}` });
    destination = await createDestination(running, 'France - Mobile', ['336']);
    await setCreditLimit(running, floorBuyer!, '100.000000');
    await setCreditLimit(running, plainBuyer!, '100.000000');
    const [asFloor, asPlain, asDead, asBad, asGood] = await Promise.all([floorBuyer!, plainBuyer!, dead!, bad!, good!].map((carrier) => carrierClient(running, carrier)));
    const order = async (client: typeof asFloor, body: object) => {
      const response = await client!<{ trades: unknown[] }>('POST', '/v1/orders', { prefix: '336', currency: 'USD', increments: '60/60', price_per_minute: '0.020000', ...body });
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return response.body.trades.length;
    };
    const sellers = [asDead!, asBad!, asGood!];
    const committed = { asr_percent: 60, acd_s: 0, pdd_ms: 5000 };
    // The floor buyer's order rests first; each seller's first sell trades with it, in this order.
    expect(await order(asFloor, { side: 'buy', channels: 15, quality: { asr_percent: 50, acd_s: 0, pdd_ms: 10_000 } })).to.equal(0);
    for (const seller of sellers) expect(await order(seller, { side: 'sell', channels: 5, price_per_minute: '0.010000', quality: committed })).to.equal(1);
    expect(await order(asPlain, { side: 'buy', channels: 15 })).to.equal(0);
    for (const seller of sellers) expect(await order(seller, { side: 'sell', channels: 5, price_per_minute: '0.010000', quality: committed })).to.equal(1);
    void asPlain;
    const bads = answerer(BAD_IP, 'uas-unavailable-503.xml');
    const goods = answerer(GOOD_IP);
    await Promise.all([bads.ready, goods.ready]);
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
    await new Promise((resolve) => hookServer?.close(resolve));
  });

  it('answers OPTIONS from a known trunk with 200 OK', async () => {
    // The switch's trunk list follows the routing data within a health pass.
    await eventually(async () => ((await trunkState(deadTrunk)) === undefined ? undefined : true), 10_000, 'the trunk list loaded');
    const result = await runSipp({ scenario: 'uac-options-expect-200.xml', localAddress: FLOOR_BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: 'ping', calls: 1, maxRunMs: 10_000 }, workDir);
    expect(result.successfulCalls, result.stderr).to.equal(1);
  });

  it('takes a seller trunk that stops answering OPTIONS out of routing, raises an alarm, and routes to it again once it answers', async () => {
    await eventually(async () => ((await trunkState(deadTrunk)) === 'down' ? true : undefined), 20_000, 'the dead trunk down');
    const raised = await eventually(async () => (await openAlarms()).find((alarm) => alarm.rule_id === 'trunk_down' && alarm.scope_id === deadTrunk), 10_000, 'a trunk_down alarm');
    expect(raised.state).to.equal('raised');
    const skipped = await call(PLAIN_BUYER_IP);
    expect(skipped.successfulCalls, skipped.stderr).to.equal(1);
    const cdr = await lastCdr(plainBuyer, (plainCalls += 1));
    expect(cdr.legs.map((leg) => [leg.seller_id, leg.sip_code]), 'the dead seller was not tried').to.deep.equal([[bad.id, 503], [good.id, 200]]);

    const revived = answerer(DEAD_IP);
    await revived.ready;
    await eventually(async () => ((await trunkState(deadTrunk)) === 'up' ? true : undefined), 20_000, 'the revived trunk up');
    await eventually(async () => ((await openAlarms()).some((alarm) => alarm.rule_id === 'trunk_down' && alarm.scope_id === deadTrunk) ? undefined : true), 10_000, 'the alarm cleared');
    const back = await call(PLAIN_BUYER_IP);
    expect(back.successfulCalls, back.stderr).to.equal(1);
    expect((await lastCdr(plainBuyer, (plainCalls += 1))).seller_id, 'the revived seller is first again').to.equal(dead.id);
    await revived.stop();
    await eventually(async () => ((await trunkState(deadTrunk)) === 'down' ? true : undefined), 20_000, 'the dead trunk down again');
  });

  it("skips a seller whose measured ASR is below the buyer's floor once it has enough attempts", async () => {
    // The bad seller has failed every call so far; five of the floor buyer's calls make sure it
    // has the minimum attempts whatever came before.
    for (let index = 0; index < 5; index += 1) {
      const result = await call(FLOOR_BUYER_IP);
      expect(result.successfulCalls, result.stderr).to.equal(1);
      floorCalls += 1;
    }
    const judged = await call(FLOOR_BUYER_IP);
    expect(judged.successfulCalls, judged.stderr).to.equal(1);
    const cdr = await lastCdr(floorBuyer, (floorCalls += 1));
    expect(cdr.legs.map((leg) => [leg.seller_id, leg.sip_code]), 'only the good seller is tried').to.deep.equal([[good.id, 200]]);
    // A buyer without a floor still gets the bad seller first.
    await call(PLAIN_BUYER_IP);
    expect((await lastCdr(plainBuyer, (plainCalls += 1))).legs.map((leg) => leg.seller_id)).to.deep.equal([bad.id, good.id]);
  });

  it('raises an alarm that takes the seller out of routing, and lifts it when cleared', async () => {
    const changed = await running.api('PATCH', '/v1/noc/alarm-rules/asr_low', { min_attempts: 5, action: 'seller_out_of_routing' });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    // Raised, then acted on: the control is on the alarm a moment after the alarm itself.
    const alarm = await eventually(async () => (await openAlarms()).find((open) => open.rule_id === 'asr_low' && open.scope_id === bad.id && open.control_id !== null), 10_000, 'an asr_low alarm that acted');
    const controls = (await running.api<{ controls: Array<{ id: string; kind: string; carrier_id: string; destination_id: string }> }>('GET', '/v1/noc/controls')).body.controls;
    expect(controls.find((control) => control.id === alarm.control_id)).to.include({ kind: 'seller_out_of_routing', carrier_id: bad.id, destination_id: destination });
    await call(PLAIN_BUYER_IP);
    expect((await lastCdr(plainBuyer, (plainCalls += 1))).legs.map((leg) => leg.seller_id), 'the seller is out of routing').to.deep.equal([good.id]);

    const acked = await running.api<{ alarm: AlarmJson }>('POST', `/v1/noc/alarms/${alarm.id}/ack`);
    expect(acked.body.alarm.state).to.equal('acknowledged');
    expect((await running.api('POST', `/v1/noc/alarms/${alarm.id}/ack`)).status, 'acknowledged once').to.equal(404);
    // The rule is switched off first, or the next evaluation would raise it again at once.
    await running.api('PATCH', '/v1/noc/alarm-rules/asr_low', { enabled: false });
    const cleared = await running.api<{ alarm: AlarmJson }>('POST', `/v1/noc/alarms/${alarm.id}/clear`);
    expect(cleared.body.alarm.state).to.equal('cleared');
    await call(PLAIN_BUYER_IP);
    expect((await lastCdr(plainBuyer, (plainCalls += 1))).legs.map((leg) => leg.seller_id), 'back in routing').to.deep.equal([bad.id, good.id]);
    const audited = await running.system.db.any<{ action: string }>("select action from audit_log where subject = $1 order by id", [`alarm:${alarm.id}`]);
    expect(audited.map((row) => row.action)).to.deep.equal(['alarm.raised', 'alarm.acknowledged', 'alarm.cleared']);
  });

  it("blocks a buyer's trunk from the operator's controls: calls refused with the reason, until lifted", async () => {
    const before = await running.system.db.one<{ count: number }>('select count(*)::int as count from routing_controls');
    expect((await running.api('POST', '/v1/noc/controls', { kind: 'ingress_trunk_blocked', trunk_id: '00000000-0000-4000-8000-000000000000', reason: 'x' })).status).to.equal(404);
    expect((await running.api('POST', '/v1/noc/controls', { kind: 'ingress_trunk_blocked', trunk_id: plainTrunk })).status).to.equal(400);
    expect((await running.api('POST', '/v1/noc/controls', { kind: 'ingress_trunk_blocked', trunk_id: deadTrunk, reason: 'egress' })).status).to.equal(400);
    expect((await running.system.db.one<{ count: number }>('select count(*)::int as count from routing_controls')).count, 'nothing written').to.equal(before.count);

    const blocked = await running.api<{ control: { id: string } }>('POST', '/v1/noc/controls', { kind: 'ingress_trunk_blocked', trunk_id: plainTrunk, reason: 'fraud check' });
    expect(blocked.status).to.equal(201);
    const refused = await call(PLAIN_BUYER_IP, 'uac-call-expect-403.xml');
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    expect(refused.rejections[0]?.reasonHeader).to.match(/trunk blocked: fraud check/);
    expect((await running.api('DELETE', `/v1/noc/controls/${blocked.body.control.id}`)).status).to.equal(200);
    const after = await call(PLAIN_BUYER_IP);
    expect(after.successfulCalls, after.stderr).to.equal(1);
  });

  it("fires a rule whose action blocks a buyer's trunk: calls refused with the alarm's reason, until it clears", async () => {
    const rule = { id: 'buyer_trunk_refusals', description: 'A buyer trunk with refused calls', metric: 'asr', scope_kind: 'trunk', comparison: 'below', threshold: 0.99, clear_threshold: 1, min_attempts: 3, action: 'block_buyer_trunk' };
    const rules = async () => (await running.system.db.one<{ count: number }>('select count(*)::int as count from alarm_rules')).count;
    const before = await rules();
    expect((await running.api('POST', '/v1/noc/alarm-rules', { ...rule, clear_threshold: 0.5 })).status, 'clears on the wrong side').to.equal(400);
    expect((await running.api('POST', '/v1/noc/alarm-rules', { ...rule, action: 'lower_cps' })).status, 'lower_cps without a rate').to.equal(400);
    expect(await rules(), 'nothing written').to.equal(before);
    expect((await running.api('POST', '/v1/noc/alarm-rules', rule)).status).to.equal(201);
    // The plain buyer's trunk had a refused call in the last 5 minutes: its ASR is under 99%.
    const alarm = await eventually(async () => (await openAlarms()).find((open) => open.rule_id === rule.id && open.scope_id === plainTrunk && open.control_id !== null), 10_000, 'the rule raised and acted');
    const refused = await call(PLAIN_BUYER_IP, 'uac-call-expect-403.xml');
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    expect(refused.rejections[0]?.reasonHeader).to.match(new RegExp(`trunk blocked: alarm ${alarm.id}: A buyer trunk with refused calls`));
    await running.api('PATCH', `/v1/noc/alarm-rules/${rule.id}`, { enabled: false });
    expect((await running.api('POST', `/v1/noc/alarms/${alarm.id}/clear`)).status).to.equal(200);
    const after = await call(PLAIN_BUYER_IP);
    expect(after.successfulCalls, after.stderr).to.equal(1);
    plainCalls += 2;
  });

  it('sends every alarm event as a signed webhook', () => {
    const events = hooks.map((hook) => {
      expect(verifyWebhook(WEBHOOK_SECRET, hook.signature, hook.body, Math.floor(Date.now() / 1000)).ok, 'signed with the secret').to.equal(true);
      return JSON.parse(hook.body) as { event: string; alarm: AlarmJson };
    });
    const trunkDown = events.filter((event) => event.alarm.rule_id === 'trunk_down' && event.alarm.scope_id === deadTrunk).map((event) => event.event);
    expect(trunkDown.slice(0, 2)).to.deep.equal(['alarm.raised', 'alarm.cleared']);
    expect(events.filter((event) => event.alarm.rule_id === 'asr_low').map((event) => event.event)).to.deep.equal(['alarm.raised', 'alarm.acknowledged', 'alarm.cleared']);
    expect(verifyWebhook('another-secret', hooks[0]!.signature, hooks[0]!.body, Math.floor(Date.now() / 1000)).ok).to.equal(false);
  });

  it('flags the trades of a seller below the quality its sell orders committed to', async () => {
    // The bad seller committed to ASR 60% and answers nothing: once judged, for over a second.
    const flags = await eventually(async () => {
      const rows = (await running.api<{ flags: Array<{ seller_id: string; broken: string[]; suspended: boolean }> }>('GET', '/v1/noc/trade-flags')).body.flags;
      return rows.filter((flag) => flag.seller_id === bad.id).length === 2 ? rows : undefined;
    }, 15_000, 'both trades of the bad seller flagged');
    expect(flags.filter((flag) => flag.seller_id !== bad.id), 'only the bad seller').to.deep.equal([]);
    expect(flags.map((flag) => [flag.broken, flag.suspended])).to.deep.equal([[['asr'], false], [['asr'], false]]);
  });

  it('keeps per-minute quality in PostgreSQL and exports metrics', async () => {
    const rows = await eventually(async () => {
      const row = await running.system.db.oneOrNone<{ attempts: bigint; answered: bigint }>(
        "select sum(attempts)::bigint as attempts, sum(answered)::bigint as answered from quality_minutes where scope_kind = 'seller_destination' and scope_id = $1", [bad.id]);
      return row && row.attempts !== null && row.attempts >= 8n ? row : undefined;
    }, 10_000, 'quality minutes of the bad seller');
    expect(rows.answered).to.equal(0n);
    const history = await running.api<{ minutes: Array<{ attempts: number }> }>('GET', `/v1/noc/quality/history?kind=seller_destination&id=${bad.id}&destination_id=${destination}&minutes=10`);
    expect(history.body.minutes.reduce((sum, minute) => sum + minute.attempts, 0)).to.be.at.least(8);

    expect((await fetch(`${running.system.apiUrl}/metrics`)).status).to.equal(401);
    const metrics = await (await fetch(`${running.system.apiUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } })).text();
    expect(metrics).to.match(/minutex_route_decisions_total\{kind="route",code=""\} \d+/);
    expect(metrics).to.match(/minutex_route_decision_seconds_bucket/);
    expect(metrics).to.include(`minutex_quality_asr{scope_kind="seller_destination",scope_id="${bad.id}"`);
    expect(metrics).to.match(/minutex_trunk_up\{trunk_id="[^"]+"\} 0/);
    // Billing's and credit control's figures: once billing has caught up, what this node posted to the ledger is every charged CDR, and nothing waits.
    await running.system.billing.drain();
    const money = await (await fetch(`${running.system.apiUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } })).text();
    const rated = await running.system.db.one<{ count: string }>("select count(*)::text as count from cdrs where billing_status = 'rated' and ledger_transaction_id is not null");
    expect(Number(rated.count)).to.be.greaterThan(0);
    expect(money).to.match(new RegExp(`^minutex_billing_cdrs_posted ${rated.count}$`, 'm'));
    expect(money).to.match(/^minutex_billing_cdrs_pending 0$/m);
    expect(money).to.match(/^minutex_credit_held_micros\{currency="USD"\} \d+$/m);
    expect(money).to.match(/^minutex_credit_calls_followed \d+$/m);
  });

  it('shows routes, trunks, alarms and charts on the live page, and acknowledges an alarm from it', async () => {
    const alarm = await eventually(async () => (await openAlarms()).find((open) => open.rule_id === 'trunk_down' && open.state === 'raised'), 20_000, 'a raised trunk_down alarm');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`${running.system.apiUrl}/#token=${TEST_OPERATOR_TOKEN}`);
      await page.locator('#route-rows', { hasText: 'Bad Seller' }).waitFor({ timeout: 10_000 });
      await page.locator('#alarm-rows', { hasText: 'trunk_down' }).waitFor({ timeout: 10_000 });
      await page.locator('#trunk-list .badge-bad').first().waitFor({ timeout: 10_000 });
      await page.locator('#credit-rows', { hasText: 'Plain Buyer' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('.panel-noc canvas').count(), 'the uPlot charts').to.be.at.least(4);
      await page.locator('#route-rows tr', { hasText: 'Bad Seller' }).first().click();
      await page.locator('#route-chart-title', { hasText: 'Bad Seller' }).waitFor({ timeout: 10_000 });
      await page.waitForTimeout(2500);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      await page.locator('#alarm-rows tr', { hasText: 'trunk_down' }).getByText('Ack').click();
      await eventually(async () => ((await openAlarms()).find((open) => open.id === alarm.id)?.state === 'acknowledged' ? true : undefined), 10_000, 'the alarm acknowledged');
      const audited = await running.system.db.one<{ actor: string }>("select actor from audit_log where subject = $1 and action = 'alarm.acknowledged'", [`alarm:${alarm.id}`]);
      expect(audited.actor).to.equal('operator:bootstrap');
      expect(errors, 'no error on the page').to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it('answers the operator CLI: alarms as JSON, a trunk blocked and unblocked', async () => {
    const cli = async (...args: string[]) => (await promisify(execFile)('npx', ['tsx', 'control/cli/main.ts', '--api', running.system.apiUrl, '--token', TEST_OPERATOR_TOKEN, ...args], { cwd: fileURLToPath(new URL('../..', import.meta.url)) })).stdout;
    const listed = JSON.parse(await cli('--json', 'alarms', 'list', '--all')) as { alarms: AlarmJson[] };
    expect(listed.alarms.map((alarm) => alarm.rule_id)).to.include.members(['trunk_down', 'asr_low']);
    expect(await cli('trunk', 'block', plainTrunk, '--reason', 'cli test')).to.match(/ingress_trunk_blocked/);
    expect((await running.api<{ controls: Array<{ trunk_id: string }> }>('GET', '/v1/noc/controls')).body.controls.map((control) => control.trunk_id)).to.include(plainTrunk);
    await cli('trunk', 'unblock', plainTrunk);
    expect((await running.api<{ controls: unknown[] }>('GET', '/v1/noc/controls')).body.controls).to.deep.equal([]);
  });
});
