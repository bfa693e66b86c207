/**
 * `npm run cli -- operator ...`: named operators from the command line (on the database of
 * DATABASE_URL). The token is printed once, on creation, and never again; the audit log records
 * the command's actor as `cli:<user>`.
 */
import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../common/config.ts';
import { connect, type Db } from '../../common/db/database.ts';
import { OPERATOR_NAME, OPERATOR_ROLES, OperatorStore, type OperatorRole } from '../store/operators.ts';

function parseRole(value: string): OperatorRole {
  if (!(OPERATOR_ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${OPERATOR_ROLES.join(', ')}`);
  return value as OperatorRole;
}

function parseName(value: string): string {
  if (!OPERATOR_NAME.test(value)) throw new InvalidArgumentError('lower-case letters, digits, dot, dash and underscore, at most 63');
  return value;
}

async function withStore<T>(work: (store: OperatorStore) => Promise<T>): Promise<T> {
  const url = loadConfig().databaseUrl;
  if (url === undefined) throw new Error('set DATABASE_URL to the database of the running minutex');
  const db: Db = connect(url, 1);
  try {
    return await work(new OperatorStore(db));
  } finally {
    await db.$pool.end();
  }
}

const cliActor = () => `cli:${os.userInfo().username}`;

export function registerOperatorCommands(program: Command): void {
  const operator = program.command('operator').description('named operators: each with a role and a token of its own');

  operator.command('create')
    .description('create an operator and print its token (shown this once)')
    .argument('<name>', 'the operator\'s name, e.g. alice', parseName)
    .requiredOption('-r, --role <role>', `one of ${OPERATOR_ROLES.join(', ')}`, parseRole)
    .action(async (name: string, options: { role: OperatorRole }) => {
      const created = await withStore((store) => store.create(name, options.role, cliActor()));
      if (created === 'duplicate') throw new Error(`an operator named ${name} exists`);
      process.stdout.write(`operator ${created.name} (${created.role}) created. Its token, shown this once:\n${created.token}\n`);
    });

  operator.command('list')
    .description('list operators (never their tokens)')
    .action(async () => {
      const rows = await withStore((store) => store.list());
      for (const row of rows) {
        process.stdout.write(`${row.name}\t${row.role}\t${row.revoked_at === null ? 'active' : 'revoked'}\tcreated ${row.created_at.toISOString()} by ${row.created_by}\n`);
      }
    });

  operator.command('revoke')
    .description('revoke an operator: its token stops working and its live streams close')
    .argument('<name>', 'the operator\'s name', parseName)
    .action(async (name: string) => {
      const outcome = await withStore((store) => store.revoke(name, cliActor()));
      if (outcome === 'not_found') throw new Error(`no operator named ${name}`);
      process.stdout.write(outcome === 'revoked' ? `operator ${name} revoked\n` : `operator ${name} was already revoked\n`);
    });
}
