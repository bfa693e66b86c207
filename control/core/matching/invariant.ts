/**
 * Assertions for the engine's own invariants. A failure means a bug in the engine or a caller
 * breaking the documented contract, never a business outcome, so it throws and stops the command.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/**
 * Throws when `condition` is false. The message is fixed text and `subject` (an order id, say) is
 * appended only on failure, because these checks run on every command and a message built
 * eagerly with a template would allocate a string on each one.
 */
export function invariant(condition: boolean, message: string, subject?: string): asserts condition {
  if (!condition) throw new InvariantError(subject === undefined ? message : `${message}: ${subject}`);
}
