/**
 * How much one client may ask (@fastify/rate-limit): a limit per client address, applied before
 * authentication (so guessing tokens is as slow as anything else), and a limit per principal (an
 * API key, an operator), applied once the request is authenticated, so a key shared by many
 * machines is still one budget. Beyond either: 429 `rate_limited` with Retry-After. The counters
 * live in the plugin's in-memory store, a bounded LRU (`cache`): a flood of addresses evicts old
 * counters rather than growing memory.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

export interface RateLimits {
  /** Requests per minute per client address; 0: none. */
  readonly perAddressPerMin: number;
  /** Requests per minute per principal; 0: none. */
  readonly perKeyPerMin: number;
}

const WINDOW_MS = 60_000;
/** Counters kept at most (addresses and principals together), least recently used evicted first. */
const MAX_COUNTERS = 50_000;

function refused(retryAfterMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ApiError(429, 'rate_limited', `too many requests: try again in ${seconds} s`);
}

/** What a principal's requests are counted under. */
function principalKey(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  if (principal === undefined) return undefined;
  return principal.kind === 'carrier' ? `key:${principal.api_key_id}` : `operator:${principal.operator}`;
}

type Limiter = (request: FastifyRequest) => Promise<{ isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttl: number; ttlInSeconds: number }>;

/** Refuses the request (429, Retry-After) when the limiter says it is over. */
async function enforce(limiter: Limiter, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const outcome = await limiter(request);
  if (!outcome.isAllowed && outcome.isExceeded) {
    void reply.header('retry-after', String(Math.max(1, outcome.ttlInSeconds)));
    throw refused(outcome.ttl);
  }
}

export interface RequestLimits {
  /** Run first, before authentication: the client address's budget. */
  byAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Run right after authentication: the principal's budget. */
  byPrincipal(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * The plugin gives the limiters and their store; the server's own onRequest hook applies them, so
 * the address's budget is spent before authentication runs (the plugin's per-route hooks would
 * run after it, and a wrong token would never be counted).
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits): Promise<RequestLimits> {
  await app.register(rateLimit, { global: false, timeWindow: WINDOW_MS, cache: MAX_COUNTERS });
  const none = () => Promise.resolve();
  const byAddress: Limiter | undefined = limits.perAddressPerMin > 0
    ? app.createRateLimit({ max: limits.perAddressPerMin, timeWindow: WINDOW_MS, keyGenerator: (request) => `address:${request.ip}` })
    : undefined;
  const byKey: Limiter | undefined = limits.perKeyPerMin > 0
    ? app.createRateLimit({ max: limits.perKeyPerMin, timeWindow: WINDOW_MS, keyGenerator: (request) => principalKey(request) ?? `address:${request.ip}` })
    : undefined;
  return {
    byAddress: byAddress ? (request, reply) => enforce(byAddress, request, reply) : none,
    byPrincipal: byKey ? (request, reply) => (principalKey(request) === undefined ? none() : enforce(byKey, request, reply)) : none,
  };
}
