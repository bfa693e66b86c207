/**
 * Insert into and remove from the middle of an array in place. `Array.prototype.splice` allocates
 * an array for its result on every call, which on the matching path is garbage created for every
 * order that rests or leaves; these move the elements without allocating.
 */

export function insertAt<T>(items: T[], index: number, item: T): void {
  let position = items.length;
  items.push(item);
  while (position > index) {
    items[position] = items[position - 1]!;
    position -= 1;
  }
  items[index] = item;
}

/** Removes and returns the element at `index`, which must exist. */
export function removeAt<T>(items: T[], index: number): T | undefined {
  if (index < 0 || index >= items.length) return undefined;
  const item = items[index];
  for (let position = index + 1; position < items.length; position += 1) {
    items[position - 1] = items[position]!;
  }
  items.pop();
  return item;
}
