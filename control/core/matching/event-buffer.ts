/**
 * Collects the events of one command and hands them out as an array of exactly their number.
 * Most commands make one event, and an array grown by `push` from empty reserves room for sixteen;
 * writing into one reused buffer and copying out the used part keeps each command's garbage to
 * what it returns.
 */
import type { Event } from './types.ts';

export class EventBuffer {
  /** Slots below `count` hold this command's events; the rest are cleared. */
  private readonly events: (Event | undefined)[] = [];
  private count = 0;

  push(event: Event): void {
    this.events[this.count] = event;
    this.count += 1;
  }

  /** Drops whatever a command that threw left behind. */
  discard(): void {
    if (this.count > 0) this.take();
  }

  /** The events since the last take, in order; the buffer starts over empty. */
  take(): Event[] {
    const taken = this.events.slice(0, this.count) as Event[];
    this.events.fill(undefined, 0, this.count);
    this.count = 0;
    return taken;
  }
}
