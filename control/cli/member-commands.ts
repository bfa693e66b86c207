/**
 * Carriers, their trunks, credit limits and orders from the operator CLI, over the API: list,
 * show, suspend and reinstate carriers; list and add trunks; show and set a credit limit (a
 * decimal string, never a float, as the API takes it); cancel an order. Each change is audited by
 * the API, which also checks the operator's role.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { commandGroup, printRows, type CliContext } from './context.ts';
import { formatRecord, formatTable, type Row } from './output.ts';

/** A money amount as the API takes it: digits, and at most 6 decimals (micro-units). */
export function parseAmount(value: string): string {
  if (!/^\d{1,15}(\.\d{1,6})?$/.test(value)) throw new InvalidArgumentError('a decimal amount such as 5000 or 1250.50 (at most 6 decimals)');
  return value;
}

export function parseCurrency(value: string): string {
  if (!/^[A-Z]{3}$/.test(value)) throw new InvalidArgumentError('an ISO 4217 code such as USD');
  return value;
}

export function parsePositiveInteger(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a whole number, 1 or more');
  return Number(value);
}

function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${choices.join(', ')}`);
    return value as T;
  };
}

const TRUNK_COLUMNS = ['id', 'carrier_id', 'direction', 'host', 'port', 'transport', 'tech_prefix', 'channels', 'cps', 'direct_media', 'identity_policy'];

interface TrunkOptions {
  direction: 'ingress' | 'egress';
  address: string;
  channels: number;
  cps: number;
  transport?: 'udp' | 'tcp';
  techPrefix?: string;
  directMedia?: boolean;
  identityPolicy?: 'pass' | 'strip' | 'assert';
}

export function registerMemberCommands(program: Command, context: CliContext): void {
  const print = (body: unknown, rows: readonly Row[], columns: readonly string[]) => printRows(context, body, rows, columns);
  const carrierPath = (id: string) => `/v1/carriers/${encodeURIComponent(id)}`;

  // `carrier` (singular) is the name the page's guide first gave these commands; both work.
  const carriers = program.command('carriers').alias('carrier').description('carriers: list, show, suspend, reinstate, credit limit');
  carriers.command('list').description('every carrier, by name').action(async () => {
    const body = await context.api().request<{ carriers: Row[] }>('GET', '/v1/carriers');
    print(body, body.carriers, ['id', 'name', 'status', 'created_at']);
  });
  carriers.command('show <carrier_id>').description('a carrier, its trunks and its credit').option('--currency <code>', 'the credit currency', parseCurrency, 'USD')
    .action(async (carrier_id: string, options: { currency: string }) => {
      const api = context.api();
      const { trunks, ...carrier } = await api.request<Row & { trunks: Row[] }>('GET', carrierPath(carrier_id));
      const credit = await api.request<Row>('GET', `${carrierPath(carrier_id)}/credit?currency=${options.currency}`);
      if (context.json()) return context.out(JSON.stringify({ ...carrier, trunks, credit }, null, 2));
      context.out([formatRecord({ ...carrier, credit }), '', 'trunks:', formatTable(trunks, TRUNK_COLUMNS)].join('\n'));
    });
  const setStatus = (status: 'active' | 'suspended') => async (carrier_id: string) => {
    const body = await context.api().request<Row>('PUT', `${carrierPath(carrier_id)}/status`, { status });
    print(body, [body], ['id', 'status']);
  };
  carriers.command('suspend <carrier_id>').description('suspend a carrier: its calls and orders are refused').action(setStatus('suspended'));
  carriers.command('reinstate <carrier_id>').description('make a suspended carrier active again').action(setStatus('active'));

  const trunks = commandGroup(program, 'trunks', "trunks: list, add, health, blocking a buyer's trunk");
  trunks.alias('trunk'); // the group's first name, kept
  trunks.command('list [carrier_id]').description("a carrier's trunks (every carrier's without one)").action(async (carrier_id: string | undefined) => {
    const api = context.api();
    const ids = carrier_id !== undefined ? [carrier_id] : (await api.request<{ carriers: Row[] }>('GET', '/v1/carriers')).carriers.map((carrier) => String(carrier['id']));
    const rows: Row[] = [];
    for (const id of ids) rows.push(...(await api.request<{ trunks: Row[] }>('GET', carrierPath(id))).trunks);
    print({ trunks: rows }, rows, TRUNK_COLUMNS);
  });
  trunks.command('add <carrier_id>').description('add a trunk to a carrier')
    .requiredOption('--direction <direction>', 'ingress (a buyer sends calls from it) or egress (a seller takes calls on it)', parseChoice(['ingress', 'egress'] as const))
    .requiredOption('--address <ipv4[:port]>', 'IPv4 address; an egress trunk may add :port (default 5060)')
    .requiredOption('--channels <n>', 'concurrent calls at most', parsePositiveInteger)
    .requiredOption('--cps <n>', 'call attempts per second at most', parsePositiveInteger)
    .option('--transport <transport>', 'udp or tcp (default udp)', parseChoice(['udp', 'tcp'] as const))
    .option('--tech-prefix <digits>', "ingress: the digits before the number that tell this buyer's trunk")
    .option('--direct-media', 'media straight between the carriers when both trunks ask for it')
    .option('--identity-policy <policy>', 'egress: pass, strip or assert the caller identity', parseChoice(['pass', 'strip', 'assert'] as const))
    .action(async (carrier_id: string, options: TrunkOptions) => {
      const body = await context.api().request<{ id: string }>('POST', `${carrierPath(carrier_id)}/trunks`, {
        direction: options.direction, address: options.address, channels: options.channels, cps: options.cps,
        ...(options.transport === undefined ? {} : { transport: options.transport }),
        ...(options.techPrefix === undefined ? {} : { tech_prefix: options.techPrefix }),
        ...(options.directMedia === undefined ? {} : { direct_media: true }),
        ...(options.identityPolicy === undefined ? {} : { identity_policy: options.identityPolicy }),
      });
      print(body, [{ ...body, carrier_id }], ['id', 'carrier_id']);
    });

  const limits = program.command('limits').description("carriers' credit limits");
  const CREDIT_COLUMNS = ['carrier_id', 'currency', 'limit', 'collateral', 'balance', 'reserved', 'leased', 'available'];
  limits.command('show <carrier_id>').description('credit limit, collateral, balance, reserved and available').option('--currency <code>', 'the currency', parseCurrency, 'USD')
    .action(async (carrier_id: string, options: { currency: string }) => {
      const body = await context.api().request<Row>('GET', `${carrierPath(carrier_id)}/credit?currency=${options.currency}`);
      print(body, [body], CREDIT_COLUMNS);
    });
  const setLimit = async (carrier_id: string, amount: string, options: { currency: string }) => {
    const body = await context.api().request<Row>('PUT', `${carrierPath(carrier_id)}/credit-limit`, { amount, currency: options.currency });
    print(body, [body], CREDIT_COLUMNS);
  };
  limits.command('set').description('set the credit limit').argument('<carrier_id>').argument('<amount>', 'a decimal amount, e.g. 5000.00', parseAmount)
    .option('--currency <code>', 'the currency', parseCurrency, 'USD').action(setLimit);
  carriers.command('limit').description('set the credit limit (as `limits set`)').argument('<carrier_id>').argument('<amount>', 'a decimal amount, e.g. 25000.00', parseAmount)
    .option('--currency <code>', 'the currency', parseCurrency, 'USD').action(setLimit);

  const order = program.command('order').description("carriers' orders");
  order.command('cancel <order_id>').description('take an order off the book (a filled one: end its trades)').action(async (order_id: string) => {
    const body = await context.api().request<Row>('DELETE', `/v1/orders/${encodeURIComponent(order_id)}`);
    print(body, [body], ['id', 'status']);
  });
}
