/**
 * The buyers whose buying is blocked by the overdue policy, in memory: the route decision runs
 * from memory (docs/call-path.md) and must not wait for PostgreSQL to refuse a call. Loaded at
 * start, changed at each transition this node makes, and reloaded with every scheduled
 * evaluation (which also picks up transitions other nodes made).
 */
export class BuyingBlocks {
  private blocked = new Set<string>();

  isBlocked(carrier_id: string): boolean {
    return this.blocked.has(carrier_id);
  }

  set(carrier_id: string, blocked: boolean): void {
    if (blocked) this.blocked.add(carrier_id);
    else this.blocked.delete(carrier_id);
  }

  replaceAll(carrier_ids: readonly string[]): void {
    this.blocked = new Set(carrier_ids);
  }

  list(): string[] {
    return [...this.blocked].sort();
  }
}
