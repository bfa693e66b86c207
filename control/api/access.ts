/**
 * What a principal may reach. Operators reach everything. A carrier reaches only its own data:
 * asking for another carrier's order, trade, key or balances answers 404, exactly as for one that
 * does not exist, so a carrier cannot learn what others have; operator-only actions answer 403.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from './auth.ts';
import { ApiError, notFound } from './errors.ts';

/** Every /v1 route is authenticated before its handler runs: a missing principal is a bug. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === undefined) throw new Error(`no principal on ${request.method} ${request.url}: the route is outside /v1`);
  return principal;
}

/** What the audit log records as the actor of this request. */
export function actorOf(request: FastifyRequest): string {
  return principalOf(request).name;
}

export function requireOperator(request: FastifyRequest): void {
  if (principalOf(request).kind !== 'operator') throw new ApiError(403, 'forbidden', 'only an operator may do this');
}

/** The carrier a request is limited to, or null for an operator (no limit). */
export function carrierScope(request: FastifyRequest): string | null {
  const principal = principalOf(request);
  return principal.kind === 'carrier' ? principal.carrier_id : null;
}

/** Refuses a carrier reaching another carrier's resources, as if they did not exist. */
export function requireOwnCarrier(request: FastifyRequest, carrier_id: string, what = 'unknown carrier'): void {
  const scope = carrierScope(request);
  if (scope !== null && scope !== carrier_id) throw notFound(what);
}
