/** The audit log: who did what to which subject. Written in the same transaction as the change. */
import type { IBaseProtocol } from 'pg-promise';

export async function audit(t: Pick<IBaseProtocol<object>, 'none'>, actor: string, action: string, subject: string, details: object = {}): Promise<void> {
  await t.none('insert into audit_log (actor, action, subject, details) values ($1, $2, $3, $4::jsonb)', [actor, action, subject, JSON.stringify(details)]);
}
