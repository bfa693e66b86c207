/**
 * The buyers whose buying is blocked by the overdue policy, in memory: the route decision runs
 * from memory (docs/call-path.md) and must not wait for PostgreSQL to refuse a call. Loaded at
 * start, changed at each transition this node makes, and reloaded with every scheduled
 * evaluation (which also picks up transitions other nodes made).
 *
 * A reload reads PostgreSQL at one moment; a transition this node applies after that moment is
 * newer than the reload and is kept (`mark()` before the read, `replaceAll(ids, mark)` after).
 */
export class BuyingBlocks {
  private blocked = new Set<string>();
  private version = 0;
  /** The version at which each carrier was last set by a transition. */
  private readonly setAt = new Map<string, number>();

  isBlocked(carrier_id: string): boolean {
    return this.blocked.has(carrier_id);
  }

  set(carrier_id: string, blocked: boolean): void {
    this.version += 1;
    this.setAt.set(carrier_id, this.version);
    if (blocked) this.blocked.add(carrier_id);
    else this.blocked.delete(carrier_id);
  }

  /** Taken before reading the blocked buyers from PostgreSQL. */
  mark(): number {
    return this.version;
  }

  /** The blocked buyers as read after `mark`; carriers set since then keep their newer value. */
  replaceAll(carrier_ids: readonly string[], mark = this.version): void {
    const next = new Set(carrier_ids);
    for (const [carrier_id, version] of this.setAt) {
      if (version <= mark) continue;
      if (this.blocked.has(carrier_id)) next.add(carrier_id);
      else next.delete(carrier_id);
    }
    this.blocked = next;
    // What the reload saw is now the base: older marks are no longer needed.
    for (const [carrier_id, version] of this.setAt) if (version <= mark) this.setAt.delete(carrier_id);
  }

  list(): string[] {
    return [...this.blocked].sort();
  }
}
