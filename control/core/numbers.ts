/**
 * Dialled numbers as carriers send them ("+44 20 7946 0000", "00442079460000", "7001#442079460000")
 * become E.164 digits; a destination is found by the longest matching prefix.
 */

export type NormalisedNumber = { readonly ok: true; readonly e164: string } | { readonly ok: false; readonly reason: 'invalid_number' };

/** Strips a trunk's tech prefix, a leading "+" or international "00", and visual separators. */
export function normaliseNumber(dialled: string, techPrefix: string | null = null): NormalisedNumber {
  let rest = dialled;
  if (techPrefix !== null) {
    if (!rest.startsWith(techPrefix)) return { ok: false, reason: 'invalid_number' };
    rest = rest.slice(techPrefix.length);
  }
  rest = rest.replace(/[\s().-]/g, '');
  if (rest.startsWith('+')) rest = rest.slice(1);
  else if (rest.startsWith('00')) rest = rest.slice(2);
  // E.164 allows at most 15 digits; fewer than 6 cannot be an international number.
  if (!/^[1-9]\d{5,14}$/.test(rest)) return { ok: false, reason: 'invalid_number' };
  return { ok: true, e164: rest };
}

/** A prefix table: the longest prefix of a number that the table holds wins. */
export class PrefixTable<T> {
  private readonly entries = new Map<string, T>();
  private longest = 0;

  set(prefix: string, value: T): void {
    if (!/^\d{1,15}$/.test(prefix)) throw new RangeError(`bad prefix ${JSON.stringify(prefix)}`);
    this.entries.set(prefix, value);
    this.longest = Math.max(this.longest, prefix.length);
  }

  /** Tries at most 15 lengths, longest first: constant time whatever the table's size. */
  lookup(number: string): { readonly prefix: string; readonly value: T } | undefined {
    for (let length = Math.min(this.longest, number.length); length > 0; length -= 1) {
      const prefix = number.slice(0, length);
      const value = this.entries.get(prefix);
      if (value !== undefined) return { prefix, value };
    }
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
