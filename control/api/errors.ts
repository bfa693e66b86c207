/**
 * API errors: an HTTP status and a stable, machine-readable reason code. Handlers throw
 * ApiError for bad input; the server's error handler turns it (and Fastify's own validation and
 * JSON errors) into `{ "error": "<reason>", "message": "..." }`, plus the error's details if any.
 */
export type ApiReason =
  | 'invalid_request'
  | 'malformed_json'
  | 'body_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'unknown_carrier'
  | 'unknown_destination'
  | 'invalid_price'
  | 'invalid_amount'
  | 'invalid_currency'
  | 'invalid_increments'
  | 'invalid_address'
  | 'invalid_prefix'
  | 'invalid_channels'
  | 'invalid_validity'
  | 'invalid_csv'
  | 'duplicate'
  | 'conflict'
  | 'internal_error'
  | (string & {});

export class ApiError extends Error {
  /** More to say than a message, sent beside it (e.g. `problems`: the bad lines of a CSV upload). */
  constructor(readonly statusCode: number, readonly reason: ApiReason, message: string, readonly details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (reason: ApiReason, message: string) => new ApiError(400, reason, message);
export const notFound = (message = 'not found') => new ApiError(404, 'not_found', message);
