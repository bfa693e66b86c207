/**
 * `npm run cli -- <command>`: minutex's command line. Each group of commands lives in a file of
 * its own and is registered here with one line. Operator accounts are managed against the
 * database (DATABASE_URL); the NOC commands talk to a node's API with an operator token
 * (MINUTEX_API_URL and MINUTEX_OPERATOR_TOKEN, or --api and --token).
 */
import { Command } from 'commander';
import { registerCarrierCommands } from './carrier-commands.ts';
import { registerNocCommands } from './noc-commands.ts';
import { registerOperatorCommands } from './operator-commands.ts';

const program = new Command('minutex').description('operate a minutex exchange').showHelpAfterError()
  .option('--api <url>', 'the API of a node', process.env['MINUTEX_API_URL'] ?? 'http://127.0.0.1:8080')
  .option('--token <token>', 'the operator token (default: MINUTEX_OPERATOR_TOKEN)')
  .option('--json', 'JSON for scripts instead of tables');

const connection = () => {
  const options = program.opts<{ api: string; token?: string }>();
  const token = options.token ?? process.env['MINUTEX_OPERATOR_TOKEN'];
  if (token === undefined || token === '') throw new Error('no operator token: set MINUTEX_OPERATOR_TOKEN or pass --token');
  return { url: options.api, token };
};

registerOperatorCommands(program);
registerNocCommands(program, connection);
registerCarrierCommands(program, connection);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
