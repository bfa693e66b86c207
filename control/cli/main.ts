/**
 * `npm run cli -- <command>`: minutex's command line. Each group of commands lives in a file of
 * its own and is registered here with one line.
 */
import { Command } from 'commander';
import { registerOperatorCommands } from './operator-commands.ts';

const program = new Command('minutex').description('minutex from the command line').showHelpAfterError();

registerOperatorCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
