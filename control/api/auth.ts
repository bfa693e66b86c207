/**
 * Who is calling the API. Two kinds of principal: an operator (a named one with its own token and
 * role, control/store/operators.ts, or the bootstrap admin with the token from the config), and a carrier, with one of its API keys (control/store/api-keys.ts). The operator token
 * is compared in constant time so it cannot be guessed byte by byte; a key is looked up by its
 * SHA-256 hash, which tells a guesser nothing about how close a guess came.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyStore } from '../store/api-keys.ts';
import type { OperatorRole, OperatorStore } from '../store/operators.ts';
import { ApiError } from './errors.ts';

export type Principal =
  | {
      readonly kind: 'operator';
      /** The operator's own name (`bootstrap` for the token from the environment). */
      readonly operator: string;
      readonly role: OperatorRole;
      /** What the audit log records as the actor, e.g. `operator:alice`. */
      readonly name: string;
    }
  | {
      readonly kind: 'carrier';
      readonly carrier_id: string;
      readonly api_key_id: string;
      /** What the audit log records as the actor. */
      readonly name: string;
    };

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The operator behind the token from the environment: an admin, kept for the first start and for recovery. */
export const BOOTSTRAP_OPERATOR = 'bootstrap';

export function authenticator(operatorToken: string, keys: ApiKeyStore, operators: OperatorStore): (request: FastifyRequest) => Promise<Principal> {
  const expected = digest(operatorToken);
  return async (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw new ApiError(401, 'unauthorized', 'missing bearer token');
    if (timingSafeEqual(digest(token), expected)) return { kind: 'operator', operator: BOOTSTRAP_OPERATOR, role: 'admin', name: `operator:${BOOTSTRAP_OPERATOR}` };
    const operator = await operators.authenticate(token);
    if (operator !== null) return { kind: 'operator', operator: operator.name, role: operator.role, name: `operator:${operator.name}` };
    const key = await keys.authenticate(token);
    if (key === null) throw new ApiError(401, 'unauthorized', 'unknown or revoked token');
    return { kind: 'carrier', carrier_id: key.carrier_id, api_key_id: key.id, name: `carrier:${key.carrier_id}/api_key:${key.id}` };
  };
}
