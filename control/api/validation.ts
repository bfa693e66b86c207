/**
 * Request validation: Ajv through Fastify's own compiler, with one difference per part of the
 * request. Query strings and path parameters are text, so they are coerced to the schema's types
 * (`?limit=10`). Bodies are JSON and are taken exactly as sent: a JSON number where the schema asks
 * for a string is refused, never turned into one. That matters for money, which is a decimal
 * string everywhere in the API: `"price_per_minute": 0.01` is a float that already lost its exact
 * value before it reached us.
 */
import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import type { FastifyError } from 'fastify';

/** Schema keyword that marks a money field (shown in the OpenAPI document as an extension). */
export const MONEY_KEYWORD = 'x-money';

/** Fastify's `schemaController.compilersFactory.buildValidator`: coercion for text parts, none for bodies. */
export function partAwareValidatorFactory(): BuildCompilerFromPool {
  // Two pools: each caches its Ajv by options, and the two must never share one.
  const textParts = AjvCompiler();
  const bodies = AjvCompiler();
  return (externalSchemas, options) => {
    const custom = { ...(options?.mode === 'JTD' ? {} : options?.customOptions), keywords: [MONEY_KEYWORD] };
    const loose = textParts(externalSchemas, { customOptions: custom });
    // verbose: each error carries the schema it failed, so a money field's refusal says so.
    const strict = bodies(externalSchemas, { customOptions: { ...custom, coerceTypes: false, verbose: true } });
    return (route) => (route.httpPart === 'body' ? strict(route) : loose(route));
  };
}

/** The field a body validation error is about, e.g. "price_per_minute" or "quality/acd_s". */
function fieldOf(instancePath: string): string {
  return instancePath.replace(/^\//, '') || 'body';
}

/** A money field sent as something other than a string (a JSON number, mostly): its own reason code. */
export function moneyTypeError(error: FastifyError): { error: string; message: string } | undefined {
  for (const item of error.validation ?? []) {
    const parent = (item as { parentSchema?: Record<string, unknown> }).parentSchema;
    if (item.keyword === 'type' && parent?.[MONEY_KEYWORD] === true) {
      return {
        error: 'amount_not_a_decimal_string',
        message: `${fieldOf(item.instancePath)}: money is sent as a decimal string such as "0.012500", never as a JSON number`,
      };
    }
  }
  return undefined;
}
