/** The audit log: who did what to which subject. Written in the same transaction as the change. */
import type { ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';

export async function audit(t: Db | ITask<object>, actor: string, action: string, subject: string, details: object = {}): Promise<void> {
  await t.none('insert into audit_log (actor, action, subject, details) values ($1, $2, $3, $4::jsonb)', [actor, action, subject, JSON.stringify(details)]);
}
