import { expect } from 'chai';
import { isLoopbackAddress, sippArguments, validateSippOptions, type SippOptions } from './arguments.ts';

const FILES = { statsFile: '/run/stats.csv', errorsFile: '/run/errors.log', logFile: '/run/actions.log' };
const CALLER: SippOptions = {
  scenario: 'uac-call-expect-200.xml', localAddress: '127.0.0.2', localPort: 5070, remote: '127.0.0.1:5060',
  service: '442079460000', calls: 3, ratePerSecond: 2, concurrentLimit: 5, callDurationMs: 1500, maxRunMs: 20_000,
};
const ANSWERER: SippOptions = { scenario: 'uas-answer.xml', localAddress: '127.0.0.3', localPort: 5080, maxRunMs: 30_000 };

/** The value that follows `option` in a command line. */
function valueOf(command: readonly string[], option: string): string | undefined {
  const index = command.indexOf(option);
  return index < 0 ? undefined : command[index + 1];
}

describe('isLoopbackAddress', () => {
  it('accepts 127.0.0.0/8 and nothing else', () => {
    expect(['127.0.0.1', '127.0.0.2', '127.255.255.254'].map(isLoopbackAddress)).to.deep.equal([true, true, true]);
    expect(['128.0.0.1', '10.0.0.1', '0.0.0.0', '::1', '127.0.0', '127.0.0.256', 'localhost'].map(isLoopbackAddress))
      .to.deep.equal([false, false, false, false, false, false, false]);
  });
});

describe('validateSippOptions', () => {
  it('accepts a bounded caller and an answerer', () => {
    expect(() => validateSippOptions(CALLER)).not.to.throw();
    expect(() => validateSippOptions(ANSWERER)).not.to.throw();
  });

  it('refuses to bind or call anything but loopback', () => {
    expect(() => validateSippOptions({ ...ANSWERER, localAddress: '192.168.1.10' })).to.throw(/loopback/);
    expect(() => validateSippOptions({ ...CALLER, remote: '8.8.8.8:5060' })).to.throw(/loopback/);
    expect(() => validateSippOptions({ ...CALLER, remote: 'sip.example.com:5060' })).to.throw(/loopback/);
    expect(() => validateSippOptions({ ...CALLER, remote: '127.0.0.1' })).to.throw(/loopback/);
    expect(() => validateSippOptions({ ...CALLER, remote: '127.0.0.1:70000' })).to.throw(/port/);
  });

  it('refuses an unbounded run', () => {
    expect(() => validateSippOptions({ ...ANSWERER, maxRunMs: 0 })).to.throw(/maxRunMs/);
    expect(() => validateSippOptions({ ...ANSWERER, maxRunMs: Number.POSITIVE_INFINITY })).to.throw(/maxRunMs/);
    // A caller built without a call count, as plain JavaScript could.
    const uncounted = { ...CALLER, calls: undefined } as unknown as SippOptions;
    expect(() => validateSippOptions(uncounted)).to.throw(/calls/);
    expect(() => validateSippOptions({ ...CALLER, calls: 0 })).to.throw(/calls/);
    expect(() => validateSippOptions({ ...CALLER, calls: 2.5 })).to.throw(/calls/);
    expect(() => validateSippOptions({ ...CALLER, ratePerSecond: 0 })).to.throw(/ratePerSecond/);
  });

  it('refuses extra options that would move traffic or take SIPp out of the runner’s hands', () => {
    expect(() => validateSippOptions({ ...CALLER, extraArgs: ['-rsa', '10.0.0.1:5060'] })).to.throw(/-rsa/);
    expect(() => validateSippOptions({ ...ANSWERER, extraArgs: ['-bg'] })).to.throw(/-bg/);
    expect(() => validateSippOptions({ ...CALLER, extraArgs: ['-trace_msg'] })).not.to.throw();
  });

  it('refuses a keyword name SIPp could not use', () => {
    expect(() => validateSippOptions({ ...ANSWERER, variables: { 'bad name': 'x' } })).to.throw(/keyword/);
  });
});

describe('sippArguments', () => {
  it('says everything a caller run needs, with the target last', () => {
    const command = sippArguments(CALLER, '/scenarios/uac-call-expect-200.xml', FILES);
    expect(valueOf(command, '-sf')).to.equal('/scenarios/uac-call-expect-200.xml');
    expect(valueOf(command, '-i')).to.equal('127.0.0.2');
    expect(valueOf(command, '-mi')).to.equal('127.0.0.2');
    expect(valueOf(command, '-p')).to.equal('5070');
    expect(valueOf(command, '-m')).to.equal('3');
    expect(valueOf(command, '-s')).to.equal('442079460000');
    expect(valueOf(command, '-r')).to.equal('2');
    expect(valueOf(command, '-rp')).to.equal('1000');
    expect(valueOf(command, '-l')).to.equal('5');
    expect(valueOf(command, '-d')).to.equal('1500');
    expect(valueOf(command, '-stf')).to.equal('/run/stats.csv');
    expect(valueOf(command, '-error_file')).to.equal('/run/errors.log');
    expect(valueOf(command, '-log_file')).to.equal('/run/actions.log');
    expect(command).to.include.members(['-nostdin', '-trace_stat', '-trace_err', '-trace_logs']);
    expect(command).not.to.include('-bg');
    expect(command[command.length - 1]).to.equal('127.0.0.1:5060');
  });

  it('sets SIPp’s own timeout in whole seconds after the runner’s bound: 20 s + 5 s', () => {
    expect(valueOf(sippArguments(CALLER, '/s.xml', FILES), '-timeout')).to.equal('25s');
    // 30.001 s + 5 s rounds up to 36 s, never down into the runner's bound.
    expect(valueOf(sippArguments({ ...ANSWERER, maxRunMs: 30_001 }, '/s.xml', FILES), '-timeout')).to.equal('36s');
  });

  it('gives an answerer no target, call count or rate unless asked', () => {
    const command = sippArguments(ANSWERER, '/scenarios/uas-answer.xml', FILES);
    expect(command).not.to.include('-m');
    expect(command).not.to.include('-r');
    expect(command).not.to.include('-s');
    expect(command[command.length - 1]).to.equal(FILES.logFile);
    expect(valueOf(sippArguments({ ...ANSWERER, calls: 4 }, '/s.xml', FILES), '-m')).to.equal('4');
  });

  it('passes scenario keywords as -key pairs and extra options before the target', () => {
    const command = sippArguments({ ...CALLER, variables: { caller: '441234567890' }, extraArgs: ['-trace_msg'] }, '/s.xml', FILES);
    const key = command.indexOf('-key');
    expect(command.slice(key, key + 3)).to.deep.equal(['-key', 'caller', '441234567890']);
    expect(command.slice(-2)).to.deep.equal(['-trace_msg', '127.0.0.1:5060']);
  });
});
