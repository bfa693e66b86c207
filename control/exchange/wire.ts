/**
 * How order commands and their outcomes travel between nodes: JSON, with the two kinds of value
 * JSON lacks spelt as tagged objects: bigints (prices, seqs, money) as {"$bigint": "123"} and
 * dates (stored rows' times) as {"$date": "2026-01-01T00:00:00.000Z"}, so what the leader returns
 * is what its own exchange would have returned here.
 */
type Tagged = { $bigint: string } | { $date: string };

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, converted: unknown): unknown {
    // JSON.stringify has already turned a Date into its ISO string: the holder still has the Date.
    const original = this[key];
    if (original instanceof Date) return { $date: original.toISOString() };
    if (typeof converted === 'bigint') return { $bigint: converted.toString() };
    return converted;
  });
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (!isTagged(value)) return value;
    return '$bigint' in value ? BigInt(value.$bigint) : new Date(value.$date);
  });
}

function isTagged(value: unknown): value is Tagged {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const tag = (value as Record<string, unknown>)[keys[0]!];
  return typeof tag === 'string' && (keys[0] === '$bigint' || keys[0] === '$date');
}
