/**
 * Who is calling the API. For now one principal exists: the operator, with the bearer token from
 * the config. The comparison takes constant time so the token cannot be guessed byte by byte.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

export type Principal = { readonly kind: 'operator'; readonly name: string };

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function operatorAuthenticator(operatorToken: string): (request: FastifyRequest) => Principal {
  const expected = digest(operatorToken);
  return (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw new ApiError(401, 'unauthorized', 'missing bearer token');
    if (!timingSafeEqual(digest(token), expected)) throw new ApiError(401, 'unauthorized', 'unknown token');
    return { kind: 'operator', name: 'operator' };
  };
}
