/**
 * The second node of bench:orders-api's `forwarded` mode, in a process of its own as a second
 * node would be: it joins the first node's database (where the first already leads the
 * exchange), reports its API address, and stops when told to.
 */
import { connect } from '../common/db/database.ts';
import { startTestSystem, type TestPorts } from '../test/support/system.ts';

export interface FollowerInput {
  readonly databaseUrl: string;
  readonly ports: TestPorts;
}

export interface FollowerReady {
  readonly apiUrl: string;
  readonly leading: boolean;
}

process.once('message', (input: FollowerInput) => {
  void (async () => {
    const db = connect(input.databaseUrl, 2);
    const running = await startTestSystem(input.ports, {}, { database: { url: input.databaseUrl, db, drop: () => Promise.resolve() } });
    process.once('message', () => {
      void running.stop().then(() => db.$pool.end()).then(() => process.exit(0));
    });
    const ready: FollowerReady = { apiUrl: running.system.apiUrl, leading: running.system.exchange.leading };
    process.send?.(ready);
  })();
});
