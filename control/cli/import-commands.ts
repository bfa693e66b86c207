/**
 * CSV imports from the operator CLI: the destination table, and a seller's rate deck. The file is
 * streamed to the API as one body (a file with a bad line is refused whole, so it is not split
 * into parts that could half-succeed), with a progress bar of the bytes sent on a terminal.
 */
import type { Command } from 'commander';
import { printRows, type CliContext } from './context.ts';
import { parseCurrency } from './member-commands.ts';
import type { Row } from './output.ts';
import { uploadProgress } from './progress.ts';

export function registerImportCommands(program: Command, context: CliContext): void {
  const upload = async (label: string, path: string, file: string): Promise<Row> => {
    const progress = uploadProgress(label, process.stderr, context.stderrIsTty);
    try {
      return await context.api().uploadCsv<Row>(path, file, (sent, total) => progress.update(sent, total));
    } finally {
      progress.stop();
    }
  };
  const imports = program.command('import').description('CSV imports: the destination table, a rate deck');
  imports.command('destinations <file>').description('the destination table (prefix,name lines); a file with any bad line is refused whole')
    .action(async (file: string) => {
      const body = await upload('destinations', '/v1/destinations/import', file);
      printRows(context, body, [body], Object.keys(body));
    });
  imports.command('rate-deck <carrier_id> <file>').description("a seller's rate deck: it replaces the carrier's standing sell orders")
    .option('--currency <code>', "the deck's currency", parseCurrency, 'USD')
    .action(async (carrier_id: string, file: string, options: { currency: string }) => {
      const body = await upload('rate deck', `/v1/carriers/${encodeURIComponent(carrier_id)}/rate-decks?currency=${options.currency}`, file);
      printRows(context, body, [body], Object.keys(body));
    });
}
