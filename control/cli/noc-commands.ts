/**
 * The NOC's commands of the operator CLI, over the API with the operator token: live calls (and
 * hanging one up), measured quality, trunks' health, alarms (list, acknowledge, clear), and routing controls (block
 * or unblock a buyer's trunk, take a seller out of routing and back, lower a call rate). Tables for
 * people; `--json` for scripts. Every change is audited by the API with the operator as actor.
 */
import type { Command } from 'commander';
import { commandGroup, printRows, type CliContext } from './context.ts';
import type { Row } from './output.ts';

const pct = (value: unknown) => (typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : '-');

export function registerNocCommands(program: Command, context: CliContext): void {
  const print = (body: unknown, rows: readonly Row[], columns: readonly string[]) => printRows(context, body, rows, columns);

  const listCalls = async () => {
    const body = await context.api().request<{ calls: Row[] }>('GET', '/v1/calls/live');
    print(body, body.calls, ['call_id', 'buyer_id', 'number', 'destination_id', 'state', 'setup_at']);
  };
  const calls = program.command('calls').description('calls in progress (`calls` alone lists them)').action(listCalls);
  calls.command('list').description('calls in progress').action(listCalls);
  // The one hang-up route: POST /v1/calls/{call_id}/hangup (docs/noc.md says why it is not under /v1/noc).
  const hangup = async (call_id: string) => {
    const body = await context.api().request<Row>('POST', `/v1/calls/${encodeURIComponent(call_id)}/hangup`);
    print(body, [body], ['call_id', 'status']);
  };
  calls.command('hangup <call_id>').description('end an answered call in progress: a BYE to both legs, audited').action(hangup);
  program.command('hangup <call_id>').description('the same as `calls hangup`').action(hangup);

  program.command('quality').description('measured quality per scope over 5 minutes and the hour')
    .option('--kind <kind>', 'seller_destination, buyer_destination or trunk', 'seller_destination')
    .action(async (options: { kind: string }) => {
      const body = await context.api().request<{ scopes: Array<Row & { short: Row; long: Row }> }>('GET', `/v1/noc/quality?kind=${encodeURIComponent(options.kind)}`);
      print(body, body.scopes.map((scope) => ({
        id: scope['id'], destination: scope['destination_id'], attempts_5m: scope.short['attempts'], asr_5m: pct(scope.short['asr']), acd_5m: scope.short['acd_s'],
        ner_5m: pct(scope.short['ner']), pdd_ms_5m: scope.short['pdd_ms'], attempts_1h: scope.long['attempts'], asr_1h: pct(scope.long['asr']), live: scope['concurrent'],
      })), ['id', 'destination', 'attempts_5m', 'asr_5m', 'acd_5m', 'ner_5m', 'pdd_ms_5m', 'attempts_1h', 'asr_1h', 'live']);
    });

  const alarms = program.command('alarms').description('alarms raised by the rules');
  alarms.command('list').option('--all', 'cleared ones too').action(async (options: { all?: boolean }) => {
    const body = await context.api().request<{ alarms: Row[] }>('GET', `/v1/noc/alarms${options.all ? '' : '?open=true'}`);
    print(body, body.alarms, ['id', 'state', 'rule_id', 'scope_kind', 'scope_id', 'destination_id', 'raised_at', 'message']);
  });
  alarms.command('ack <id>').description('acknowledge a raised alarm').action(async (id: string) => {
    const body = await context.api().request<{ alarm: Row }>('POST', `/v1/noc/alarms/${encodeURIComponent(id)}/ack`);
    print(body, [body.alarm], ['id', 'state', 'acknowledged_by']);
  });
  alarms.command('clear <id>').description('clear an alarm and lift its action').action(async (id: string) => {
    const body = await context.api().request<{ alarm: Row }>('POST', `/v1/noc/alarms/${encodeURIComponent(id)}/clear`);
    print(body, [body.alarm], ['id', 'state', 'cleared_by']);
  });

  const trunk = commandGroup(program, 'trunks', "trunks: list, add, health, blocking a buyer's trunk");
  trunk.command('health').description("sellers' trunks as the switch's OPTIONS pings see them").action(async () => {
    const body = await context.api().request<{ trunks: Row[] }>('GET', '/v1/noc/trunks');
    print(body, body.trunks, ['trunk_id', 'state', 'since']);
  });
  trunk.command('block <trunk_id>').description("refuse a buyer trunk's calls (403 with the reason)").requiredOption('--reason <text>', 'why, sent in the SIP Reason')
    .action(async (trunk_id: string, options: { reason: string }) => {
      const body = await context.api().request<{ control: Row }>('POST', '/v1/noc/controls', { kind: 'ingress_trunk_blocked', trunk_id, reason: options.reason });
      print(body, [body.control], ['id', 'kind', 'trunk_id', 'reason']);
    });
  trunk.command('unblock <trunk_id>').description('lift every block on the trunk').action(async (trunk_id: string) => {
    const { controls } = await context.api().request<{ controls: Row[] }>('GET', '/v1/noc/controls');
    const blocks = controls.filter((control) => control['kind'] === 'ingress_trunk_blocked' && control['trunk_id'] === trunk_id);
    if (blocks.length === 0) throw new Error('no block in force on this trunk');
    for (const block of blocks) await context.api().request('DELETE', `/v1/noc/controls/${String(block['id'] as string)}`);
    print({ lifted: blocks.map((block) => block['id']) }, blocks, ['id', 'kind', 'trunk_id']);
  });
  trunk.command('limit-cps <trunk_id> <cps>').description("hold a buyer trunk's calls per second to a lower rate").requiredOption('--reason <text>', 'why')
    .action(async (trunk_id: string, cps: string, options: { reason: string }) => {
      const body = await context.api().request<{ control: Row }>('POST', '/v1/noc/controls', { kind: 'cps_limit', trunk_id, cps_limit: Number(cps), reason: options.reason });
      print(body, [body.control], ['id', 'kind', 'trunk_id', 'cps_limit']);
    });

  const seller = program.command('seller').description('sellers in routing');
  seller.command('out <carrier_id>').description('take a seller out of routing (one destination, or all)').option('--destination <id>', 'the destination')
    .requiredOption('--reason <text>', 'why').action(async (carrier_id: string, options: { destination?: string; reason: string }) => {
      const body = await context.api().request<{ control: Row }>('POST', '/v1/noc/controls', {
        kind: 'seller_out_of_routing', carrier_id, reason: options.reason, ...(options.destination === undefined ? {} : { destination_id: options.destination }),
      });
      print(body, [body.control], ['id', 'kind', 'carrier_id', 'destination_id', 'reason']);
    });

  const controls = program.command('controls').description('routing controls in force');
  controls.command('list').action(async () => {
    const body = await context.api().request<{ controls: Row[] }>('GET', '/v1/noc/controls');
    print(body, body.controls, ['id', 'kind', 'trunk_id', 'carrier_id', 'destination_id', 'trade_id', 'cps_limit', 'source', 'reason']);
  });
  controls.command('lift <id>').description('lift a control (back in routing, unblocked)').action(async (id: string) => {
    const body = await context.api().request<Row>('DELETE', `/v1/noc/controls/${encodeURIComponent(id)}`);
    print(body, [body], ['id', 'status']);
  });
}
