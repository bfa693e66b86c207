/**
 * `npm run cli -- <command>`: minutex's command line (the commands: program.ts). The answer goes
 * to stdout; an error to stderr with, for the API's refusals, its machine-readable reason (as JSON
 * with --json), and the exit code is then 1.
 */
import { ApiFailure } from './api-client.ts';
import { formatFailure } from './output.ts';
import { buildProgram } from './program.ts';

const program = buildProgram();
program.parseAsync(process.argv).catch((error: unknown) => {
  const json = program.opts<{ json?: boolean }>().json === true;
  if (json && error instanceof ApiFailure) {
    console.error(JSON.stringify({ status: error.status, ...error.body, error: error.reason }));
  } else {
    console.error(formatFailure(error));
  }
  process.exitCode = 1;
});
