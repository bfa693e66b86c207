/**
 * The operator CLI's commands, put together. Each group lives in a file of its own and is
 * registered here with one line. Operator accounts are managed against the database
 * (DATABASE_URL); every other command talks to a node's API with an operator token
 * (MINUTEX_API_URL and MINUTEX_OPERATOR_TOKEN, or --api and --token).
 */
import { Command } from 'commander';
import { httpApi, type ApiClient, type ApiConnection } from './api-client.ts';
import type { CliContext } from './context.ts';
import { registerImportCommands } from './import-commands.ts';
import { registerMemberCommands } from './member-commands.ts';
import { registerNocCommands } from './noc-commands.ts';
import { registerOperatorCommands } from './operator-commands.ts';
import { registerSettlementCommands } from './settlement-commands.ts';

export interface ProgramOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How the API is reached (tests give one that records the requests). */
  readonly api?: (connection: ApiConnection) => ApiClient;
  readonly out?: (text: string) => void;
  readonly stderrIsTty?: boolean;
}

export function buildProgram(options: ProgramOptions = {}): Command {
  const env = options.env ?? process.env;
  const program = new Command('minutex').description('operate a minutex exchange').showHelpAfterError()
    .option('--api <url>', 'the API of a node', env['MINUTEX_API_URL'] ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'the operator token (default: MINUTEX_OPERATOR_TOKEN)')
    .option('--json', 'JSON for scripts instead of tables');
  const context: CliContext = {
    api: () => {
      const opts = program.opts<{ api: string; token?: string }>();
      const token = opts.token ?? env['MINUTEX_OPERATOR_TOKEN'];
      if (token === undefined || token === '') throw new Error('no operator token: set MINUTEX_OPERATOR_TOKEN or pass --token');
      return (options.api ?? httpApi)({ url: opts.api, token });
    },
    json: () => program.opts<{ json?: boolean }>().json === true,
    out: options.out ?? ((text) => console.log(text)),
    stderrIsTty: options.stderrIsTty ?? process.stderr.isTTY === true,
  };

  registerOperatorCommands(program);
  registerMemberCommands(program, context);
  registerNocCommands(program, context);
  registerSettlementCommands(program, context);
  registerImportCommands(program, context);
  return program;
}
