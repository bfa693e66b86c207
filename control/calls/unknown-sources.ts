/**
 * Setups from addresses that are no carrier's trunk, when they reach the control plane at all
 * (the switch refuses them itself; see switch/kamailio/minutex-edge.cfg): counted in memory and as
 * a metric, logged one in `logEvery`, never written to the database.
 */
import { Counter, register } from 'prom-client';
import type { Logger } from '../../common/logger.ts';

const METRIC = 'minutex_route_unknown_source_refused_total';

export class UnknownSources {
  private count = 0;
  private readonly metric: Counter;

  constructor(private readonly log: Logger, private readonly logEvery = 1000) {
    // One counter per process, whichever node object asks for it.
    this.metric = (register.getSingleMetric(METRIC) as Counter | undefined)
      ?? new Counter({ name: METRIC, help: 'call setups from unknown source addresses refused by the control plane (not written anywhere)' });
  }

  get refusedCount(): number {
    return this.count;
  }

  refused(source_ip: string): void {
    this.count += 1;
    this.metric.inc();
    if (this.count % this.logEvery === 1) this.log.warn({ source: source_ip, refused_so_far: this.count }, 'call setup from an unknown source refused');
  }
}
