/** What every group of commands is given: the API, where to print, and whether to print JSON. */
import type { Command } from 'commander';
import type { ApiClient } from './api-client.ts';
import { formatTable, type Row } from './output.ts';

export interface CliContext {
  /** The API of the node named by --api / MINUTEX_API_URL, with the operator token; throws when there is no token. */
  api(): ApiClient;
  json(): boolean;
  /** A line to stdout (what the command answers). */
  out(text: string): void;
  /** Whether stderr is a terminal a person watches (progress bars go there, and only then). */
  readonly stderrIsTty: boolean;
}

/** The API's answer as JSON with --json, else the rows as a table. */
export function printRows(context: CliContext, body: unknown, rows: readonly Row[], columns: readonly string[]): void {
  context.out(context.json() ? JSON.stringify(body, null, 2) : formatTable(rows, columns));
}

/** The command group of this name, made if it is not there yet (several files add commands to `trunks`). */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((command) => command.name() === name) ?? program.command(name).description(description);
}
