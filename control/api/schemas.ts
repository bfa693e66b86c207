/** Schema pieces shared by the routes: one TypeBox schema gives validation, types and the OpenAPI document. */
import { Type } from '@sinclair/typebox';
import { MONEY_KEYWORD } from './validation.ts';

export const Uuid = Type.String({ format: 'uuid', description: 'an identifier' });
export const IdParams = Type.Object({ id: Uuid });
/**
 * Money in JSON is always a decimal string (never a JSON number), at most 6 decimals. The marker
 * gives a number sent in its place a reason code of its own (validation.ts); the range is checked
 * by parseDecimalToMicros.
 */
export const moneyString = (options: { description: string; pattern?: string; maxLength?: number }) =>
  Type.String({ ...options, [MONEY_KEYWORD]: true, examples: ['0.012500'] });
export const DecimalAmount = moneyString({ pattern: '^-?[0-9]{1,15}(\\.[0-9]{1,6})?$', description: 'decimal amount, at most 6 decimals' });
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code', examples: ['USD'] });
export const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });
export const Created = Type.Object({ id: Uuid });
