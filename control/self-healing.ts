/**
 * Runs the reconciliation and sweep pass on an interval, one pass at a time, and on demand (after
 * a reconnection to the switch, or from a test). A pass that fails is logged and tried again at
 * the next tick: self-healing must not itself be what stops the control plane.
 */
import type { Logger } from '../common/logger.ts';

export class SelfHealing {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly pass: () => Promise<void>, private readonly everyMs: number, private readonly log: Logger) {}

  start(): void {
    this.timer = setInterval(() => void this.runNow(), this.everyMs);
    this.timer.unref();
  }

  /** Runs a pass now, or waits for the one already running and then runs another. */
  async runNow(): Promise<void> {
    while (this.running) await this.running;
    if (this.stopped) return;
    this.running = this.pass()
      .catch((error: unknown) => this.log.error({ err: error }, 'reconciliation pass failed'))
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
