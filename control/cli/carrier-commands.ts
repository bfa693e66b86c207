/**
 * The operator CLI's commands on a carrier's standing, over the API with the operator token:
 * suspend or reinstate a carrier, set its credit limit, cancel one of its orders. The API checks
 * the operator's role, validates the input (a limit is a decimal string) and audits each change.
 */
import type { Command } from 'commander';
import { call, formatTable, type ApiConnection, type Row } from './noc-commands.ts';

export function registerCarrierCommands(program: Command, connection: () => ApiConnection): void {
  const print = (body: Row, columns: readonly string[]) => {
    console.log(program.opts<{ json?: boolean }>().json === true ? JSON.stringify(body, null, 2) : formatTable([body], columns));
  };
  const setStatus = async (carrier_id: string, status: 'active' | 'suspended') => {
    print(await call<Row>(connection(), 'PUT', `/v1/carriers/${encodeURIComponent(carrier_id)}/status`, { status }), ['id', 'status']);
  };

  const carrier = program.command('carrier').description("a carrier's standing: suspension and credit limit");
  carrier.command('suspend <carrier_id>').description('refuse its calls at setup (403, Reason: carrier suspended) and its new orders')
    .action((carrier_id: string) => setStatus(carrier_id, 'suspended'));
  carrier.command('reinstate <carrier_id>').description('let it call and trade again').action((carrier_id: string) => setStatus(carrier_id, 'active'));
  carrier.command('limit <carrier_id> <amount>').description('set its unsecured credit limit (a decimal string, e.g. 25000.00)')
    .option('--currency <code>', 'the currency of the limit', 'USD')
    .action(async (carrier_id: string, amount: string, options: { currency: string }) => {
      const body = await call<Row>(connection(), 'PUT', `/v1/carriers/${encodeURIComponent(carrier_id)}/credit-limit`, { amount, currency: options.currency });
      print(body, ['carrier_id', 'currency', 'limit', 'reserved', 'leased', 'available']);
    });

  const order = program.command('order').description("carriers' orders");
  order.command('cancel <order_id>').description('take an order off the book (a filled one: end its trades)').action(async (order_id: string) => {
    print(await call<Row>(connection(), 'DELETE', `/v1/orders/${encodeURIComponent(order_id)}`), ['id', 'status']);
  });
}
