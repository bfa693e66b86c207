import { expect } from 'chai';
import { parseScenarioLog } from './scenario-log.ts';

describe('parseScenarioLog', () => {
  it('lists the BYEs received, one entry per BYE, in order', () => {
    // As written by uas-answer.xml for three calls from one caller.
    const text = 'BYE_RECEIVED 1-4334@127.0.0.2\nBYE_RECEIVED 2-4334@127.0.0.2\nBYE_RECEIVED 3-4334@127.0.0.2\n';
    expect(parseScenarioLog(text)).to.deep.equal({
      receivedByeCallIds: ['1-4334@127.0.0.2', '2-4334@127.0.0.2', '3-4334@127.0.0.2'],
      rejections: [],
    });
  });

  it('reads a rejection with its whole header line, quotes and semicolons included', () => {
    const text = 'REJECTED 1-12727@127.0.0.2 486 X-Reason: SIP;cause=486;text="Busy Here"\r\n';
    expect(parseScenarioLog(text).rejections).to.deep.equal([
      { callId: '1-12727@127.0.0.2', statusCode: 486, reasonHeader: 'X-Reason: SIP;cause=486;text="Busy Here"' },
    ]);
  });

  it('gives nothing for an empty log and leaves lines of other kinds alone', () => {
    expect(parseScenarioLog('')).to.deep.equal({ receivedByeCallIds: [], rejections: [] });
    expect(parseScenarioLog('CALL_ANSWERED 1-1@127.0.0.2\n').receivedByeCallIds).to.deep.equal([]);
  });

  it('refuses one of its own lines in the wrong shape', () => {
    expect(() => parseScenarioLog('BYE_RECEIVED \n')).to.throw(/malformed BYE_RECEIVED/);
    expect(() => parseScenarioLog('REJECTED 1-1@127.0.0.2 486\n')).to.throw(/malformed REJECTED/);
    expect(() => parseScenarioLog('REJECTED 1-1@127.0.0.2 999 Reason: x\n')).to.throw(/malformed REJECTED/);
  });
});
