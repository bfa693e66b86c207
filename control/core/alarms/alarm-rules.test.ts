import { expect } from 'chai';
import { emptyCounts, statsOf } from '../quality/quality-counts.ts';
import { alarmMessage, decideAlarm, readMetric, type AlarmRule } from './alarm-rules.ts';

const ASR_LOW: AlarmRule = {
  id: 'asr_low', description: '', metric: 'asr', scope_kind: 'seller_destination', time_window: 'short', comparison: 'below',
  threshold: 0.2, clear_threshold: 0.3, min_attempts: 50, action: 'notify', action_cps: null, enabled: true,
};

function stats(attempts: number, answered: number, window_ms = 300_000) {
  const counts = emptyCounts();
  counts.attempts = attempts;
  counts.answered = answered;
  counts.talk_ms = answered * 30_000;
  return statsOf(counts, window_ms);
}

describe('alarm rules', () => {
  it('raises ASR under 20% only with 50 attempts', () => {
    expect(decideAlarm(ASR_LOW, readMetric(ASR_LOW, stats(49, 0), stats(49, 0), 300_000, 3_600_000), false)).to.equal('keep');
    expect(decideAlarm(ASR_LOW, readMetric(ASR_LOW, stats(50, 9), stats(50, 9), 300_000, 3_600_000), false)).to.equal('raise');
    expect(decideAlarm(ASR_LOW, readMetric(ASR_LOW, stats(50, 10), stats(50, 10), 300_000, 3_600_000), false)).to.equal('keep');
  });

  it('clears only past the clear threshold (hysteresis), or when nothing is left', () => {
    const reading = (answered: number) => readMetric(ASR_LOW, stats(100, answered), stats(100, answered), 300_000, 3_600_000);
    expect(decideAlarm(ASR_LOW, reading(25), true)).to.equal('keep'); // 25%: above 20%, under 30%
    expect(decideAlarm(ASR_LOW, reading(30), true)).to.equal('clear');
    expect(decideAlarm(ASR_LOW, readMetric(ASR_LOW, stats(10, 0), stats(10, 0), 300_000, 3_600_000), true)).to.equal('keep');
    expect(decideAlarm(ASR_LOW, readMetric(ASR_LOW, stats(0, 0), stats(0, 0), 300_000, 3_600_000), true)).to.equal('clear');
  });

  it('reads a CPS spike against the rest of the hour, and needs history there', () => {
    const spike: AlarmRule = { ...ASR_LOW, metric: 'cps_vs_hour', comparison: 'above', threshold: 5, clear_threshold: 2, min_attempts: 50 };
    // 300 attempts in the last 5 minutes (1/s); 550 in the 55 minutes before (1/6 s): 6x.
    const reading = readMetric(spike, stats(300, 0), stats(850, 0, 3_600_000), 300_000, 3_600_000);
    expect(reading.value).to.be.closeTo(6, 1e-9);
    expect(decideAlarm(spike, reading, false)).to.equal('raise');
    // No history: no reading, no alarm.
    expect(readMetric(spike, stats(300, 0), stats(300, 0, 3_600_000), 300_000, 3_600_000).value).to.equal(null);
  });

  it('raises and clears a trunk down whatever the traffic', () => {
    const down: AlarmRule = { ...ASR_LOW, metric: 'trunk_down', scope_kind: 'trunk', comparison: 'above', threshold: 0, clear_threshold: 0, min_attempts: 0 };
    expect(decideAlarm(down, readMetric(down, stats(0, 0), stats(0, 0), 1, 2, true), false)).to.equal('raise');
    expect(decideAlarm(down, readMetric(down, stats(0, 0), stats(0, 0), 1, 2, false), true)).to.equal('clear');
  });

  it('says what crossed what', () => {
    expect(alarmMessage(ASR_LOW, 0.125)).to.equal('asr 12.5% below 20.0%');
  });
});
