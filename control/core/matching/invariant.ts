/**
 * Assertions for the engine's own invariants. A failure means a bug in the engine or a caller
 * breaking the documented contract, never a business outcome, so it throws and stops the command.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
