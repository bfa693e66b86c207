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

/** Prefixes are E.164 digit strings of 1 to 15 digits. */
const MAX_PREFIX_DIGITS = 15;
/** Slots are at most this full (live entries and deleted markers) before the table grows. */
const MAX_LOAD = 0.7;
const INITIAL_CAPACITY = 1024;
const EMPTY = 0;
const DELETED = -1;

/**
 * Prefixes mapped to whole numbers (below 2^31), found by the longest prefix of a number.
 *
 * A million prefixes must fit in little memory and be found in time that does not grow with the
 * table, so each prefix is kept as one number ("1" followed by its digits, below 2^53 for 15
 * digits; the leading 1 keeps "44" and "044" apart) in an open-addressing hash table of typed
 * arrays: 12 bytes a slot, no object per prefix. A lookup builds the number of each leading part
 * of the dialled number digit by digit and probes only the lengths the table holds, so it costs
 * at most one probe per digit of the number.
 */
export class PrefixNumbers {
  private keys: Float64Array;
  private slots: Int32Array;
  private mask: number;
  /** Slots holding a live entry or a deleted marker. */
  private used = 0;
  private count = 0;
  /** Bit n set: some prefix of n digits was ever stored (a hint; never cleared). */
  private lengths = 0;

  constructor(expectedSize = 0) {
    let capacity = INITIAL_CAPACITY;
    while (capacity * MAX_LOAD < expectedSize) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  set(prefix: string, value: number): void {
    const key = prefixKey(prefix);
    if ((this.used + 1) > this.keys.length * MAX_LOAD) this.resize();
    let slot = hashKey(key) & this.mask;
    let firstDeleted = -1;
    for (;;) {
      const found = this.keys[slot]!;
      if (found === key) {
        this.slots[slot] = value;
        return;
      }
      if (found === EMPTY) break;
      if (found === DELETED && firstDeleted < 0) firstDeleted = slot;
      slot = (slot + 1) & this.mask;
    }
    if (firstDeleted >= 0) slot = firstDeleted;
    else this.used += 1;
    this.keys[slot] = key;
    this.slots[slot] = value;
    this.count += 1;
    this.lengths |= 1 << prefix.length;
  }

  /** Removes a prefix; true when the table held it. */
  delete(prefix: string): boolean {
    const slot = this.find(prefixKey(prefix));
    if (slot < 0) return false;
    this.keys[slot] = DELETED;
    this.count -= 1;
    return true;
  }

  get(prefix: string): number | undefined {
    const slot = this.find(prefixKey(prefix));
    return slot < 0 ? undefined : this.slots[slot];
  }

  /** The longest prefix of `number` held: its length and value (length 0: none). */
  lookup(number: string): { readonly length: number; readonly value: number } {
    let key = 1;
    let value = -1;
    let length = 0;
    const digits = Math.min(number.length, MAX_PREFIX_DIGITS);
    for (let position = 0; position < digits; position += 1) {
      const digit = number.charCodeAt(position) - 48;
      if (digit < 0 || digit > 9) break;
      key = key * 10 + digit;
      if ((this.lengths & (1 << (position + 1))) === 0) continue;
      const slot = this.find(key);
      if (slot >= 0) {
        value = this.slots[slot]!;
        length = position + 1;
      }
    }
    return { length, value };
  }

  get size(): number {
    return this.count;
  }

  get slotBytes(): number {
    return this.keys.byteLength + this.slots.byteLength;
  }

  private find(key: number): number {
    let slot = hashKey(key) & this.mask;
    for (;;) {
      const found = this.keys[slot]!;
      if (found === key) return slot;
      if (found === EMPTY) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Doubles the slots when live entries fill them; otherwise only clears the deleted markers. */
  private resize(): void {
    const oldKeys = this.keys;
    const oldSlots = this.slots;
    const capacity = this.count + 1 > oldKeys.length * MAX_LOAD * 0.5 ? oldKeys.length * 2 : oldKeys.length;
    this.keys = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.used = 0;
    for (let slot = 0; slot < oldKeys.length; slot += 1) {
      const key = oldKeys[slot]!;
      if (key === EMPTY || key === DELETED) continue;
      let target = hashKey(key) & this.mask;
      while (this.keys[target] !== EMPTY) target = (target + 1) & this.mask;
      this.keys[target] = key;
      this.slots[target] = oldSlots[slot]!;
      this.used += 1;
    }
  }
}

/** A prefix table: the longest prefix of a number that the table holds wins. Values are few
 * (destinations) and shared, so each prefix holds only the index of its value. */
export class PrefixTable<T> {
  private readonly numbers: PrefixNumbers;
  private readonly values: T[] = [];
  private readonly valueIndex = new Map<T, number>();

  constructor(expectedSize = 0) {
    this.numbers = new PrefixNumbers(expectedSize);
  }

  set(prefix: string, value: T): void {
    let index = this.valueIndex.get(value);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(value);
      this.valueIndex.set(value, index);
    }
    this.numbers.set(prefix, index);
  }

  /** Removes a prefix; true when the table held it. */
  delete(prefix: string): boolean {
    return this.numbers.delete(prefix);
  }

  get(prefix: string): T | undefined {
    const index = this.numbers.get(prefix);
    return index === undefined ? undefined : this.values[index];
  }

  /** One probe per digit at most, and only for lengths the table holds. */
  lookup(number: string): { readonly prefix: string; readonly value: T } | undefined {
    const found = this.numbers.lookup(number);
    return found.length === 0 ? undefined : { prefix: number.slice(0, found.length), value: this.values[found.value]! };
  }

  get size(): number {
    return this.numbers.size;
  }

  /** Bytes held by the slot arrays (the values are shared with the rest of the program). */
  get slotBytes(): number {
    return this.numbers.slotBytes;
  }
}

function prefixKey(prefix: string): number {
  if (prefix.length < 1 || prefix.length > MAX_PREFIX_DIGITS) throw new RangeError(`bad prefix ${JSON.stringify(prefix)}`);
  let key = 1;
  for (let position = 0; position < prefix.length; position += 1) {
    const digit = prefix.charCodeAt(position) - 48;
    if (digit < 0 || digit > 9) throw new RangeError(`bad prefix ${JSON.stringify(prefix)}`);
    key = key * 10 + digit;
  }
  return key;
}

/** Mixes both halves of a key below 2^53 into 32 bits. */
function hashKey(key: number): number {
  const low = key >>> 0;
  const high = (key / 4294967296) | 0;
  let hash = Math.imul(low ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x85ebca6b);
  return hash ^ (hash >>> 13);
}
