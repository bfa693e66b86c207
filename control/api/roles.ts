/**
 * What each operator role may change. Every role reads everything an operator reads; changes are
 * allowed per route (Fastify's route pattern, e.g. `PUT /v1/carriers/:id/status`):
 *
 * - viewer: nothing.
 * - noc: the network's day-to-day: ending a live call, sending a CDR again, suspending or
 *   reinstating a carrier, cancelling an order (one that harms the network cannot wait for the
 *   carrier), trunks and destinations.
 * - finance: money: credit limits, collateral, billing terms, statements, collections, payouts,
 *   deferrals and advances asked for on a carrier's behalf.
 * - admin: everything, operators and API keys included.
 *
 * A route not listed is an admin's, so a new route is closed until someone decides otherwise.
 */
import type { OperatorRole } from '../store/operators.ts';

const READ_METHODS = new Set(['GET', 'HEAD']);

const NOC_ROUTES = new Set([
  'POST /v1/calls/:call_id/hangup',
  'POST /v1/cdrs/:call_id/requeue',
  'PUT /v1/carriers/:id/status',
  'DELETE /v1/orders/:id',
  'POST /v1/carriers/:id/trunks',
  'POST /v1/destinations',
  'POST /v1/destinations/import',
]);

const FINANCE_ROUTES = new Set([
  'PUT /v1/carriers/:id/credit-limit',
  'POST /v1/carriers/:id/collateral',
  'DELETE /v1/collateral/:id',
  'PUT /v1/carriers/:id/billing-terms',
  'POST /v1/statements/run',
  'POST /v1/statements/:id/collect',
  'POST /v1/statements/:id/payout',
  'POST /v1/statements/:id/deferral',
  'POST /v1/carriers/:id/advances',
]);

export function operatorMay(role: OperatorRole, method: string, routeUrl: string): boolean {
  if (READ_METHODS.has(method)) return true;
  if (role === 'admin') return true;
  const route = `${method} ${routeUrl}`;
  if (role === 'noc') return NOC_ROUTES.has(route);
  if (role === 'finance') return FINANCE_ROUTES.has(route);
  return false;
}
