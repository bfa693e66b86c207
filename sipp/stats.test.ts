import { expect } from 'chai';
import { parseSippStats } from './stats.ts';

// Statistics files written by SIPp 3.6.1 on this project's test machine (-trace_stat -fd 1),
// copied verbatim. The columns after the counters depend on the scenario (response-time and
// call-length tables), so the three headers do not all have the same length.

/** uas-answer.xml after answering three calls and exiting (-m 3). */
const ANSWERER_THREE_CALLS = [
  'StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);FailedCannotSendMessage(P);FailedCannotSendMessage(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);FailedTcpConnect(P);FailedTcpConnect(C);FailedTcpClosed(P);FailedTcpClosed(C);FailedUnexpectedMessage(P);FailedUnexpectedMessage(C);FailedCallRejected(P);FailedCallRejected(C);FailedCmdNotSent(P);FailedCmdNotSent(C);FailedRegexpDoesntMatch(P);FailedRegexpDoesntMatch(C);FailedRegexpShouldntMatch(P);FailedRegexpShouldntMatch(C);FailedRegexpHdrNotFound(P);FailedRegexpHdrNotFound(C);FailedOutboundCongestion(P);FailedOutboundCongestion(C);FailedTimeoutOnRecv(P);FailedTimeoutOnRecv(C);FailedTimeoutOnSend(P);FailedTimeoutOnSend(C);FailedTestDoesntMatch(P);FailedTestDoesntMatch(C);FailedTestShouldntMatch(P);FailedTestShouldntMatch(C);FailedStrcmpDoesntMatch(P);FailedStrcmpDoesntMatch(C);FailedStrcmpShouldntMatch(P);FailedStrcmpShouldntMatch(C);OutOfCallMsgs(P);OutOfCallMsgs(C);DeadCallMsgs(P);DeadCallMsgs(C);Retransmissions(P);Retransmissions(C);AutoAnswered(P);AutoAnswered(C);Warnings(P);Warnings(C);FatalErrors(P);FatalErrors(C);WatchdogMajor(P);WatchdogMajor(C);WatchdogMinor(P);WatchdogMinor(C);CallLength(P);CallLength(C);CallLengthStDev(P);CallLengthStDev(C);',
  '2026-11-26\t06:16:10.261236\t1795673770.261236;2026-11-26\t06:16:10.261236\t1795673770.261236;2026-11-26\t06:16:10.261522\t1795673770.261522;00:00:00;00:00:00;10;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
  '2026-11-26\t06:16:10.261236\t1795673770.261236;2026-11-26\t06:16:10.261655\t1795673770.261655;2026-11-26\t06:16:11.263520\t1795673771.263520;00:00:01;00:00:01;10;2.997;2.99401;3;3;0;0;3;3;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
  '2026-11-26\t06:16:10.261236\t1795673770.261236;2026-11-26\t06:16:11.263606\t1795673771.263606;2026-11-26\t06:16:11.717536\t1795673771.717536;00:00:00;00:00:01;10;0;2.06044;0;3;0;0;3;0;3;3;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:01:122000;00:00:01:122000;00:00:00:002000;00:00:00:002000;',
  '2026-11-26\t06:16:10.261236\t1795673770.261236;2026-11-26\t06:16:11.717600\t1795673771.717600;2026-11-26\t06:16:11.717642\t1795673771.717642;00:00:00;00:00:01;10;0;2.06044;0;3;0;0;3;0;0;3;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:000000;00:00:01:122000;00:00:00:000000;00:00:00:002000;',
].map((line) => `${line}\n`).join('');

/** uac-call-expect-486.xml, two calls rejected with a 486 that had no Reason header. */
const CALLER_REASON_MISSING = [
  'StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);FailedCannotSendMessage(P);FailedCannotSendMessage(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);FailedTcpConnect(P);FailedTcpConnect(C);FailedTcpClosed(P);FailedTcpClosed(C);FailedUnexpectedMessage(P);FailedUnexpectedMessage(C);FailedCallRejected(P);FailedCallRejected(C);FailedCmdNotSent(P);FailedCmdNotSent(C);FailedRegexpDoesntMatch(P);FailedRegexpDoesntMatch(C);FailedRegexpShouldntMatch(P);FailedRegexpShouldntMatch(C);FailedRegexpHdrNotFound(P);FailedRegexpHdrNotFound(C);FailedOutboundCongestion(P);FailedOutboundCongestion(C);FailedTimeoutOnRecv(P);FailedTimeoutOnRecv(C);FailedTimeoutOnSend(P);FailedTimeoutOnSend(C);FailedTestDoesntMatch(P);FailedTestDoesntMatch(C);FailedTestShouldntMatch(P);FailedTestShouldntMatch(C);FailedStrcmpDoesntMatch(P);FailedStrcmpDoesntMatch(C);FailedStrcmpShouldntMatch(P);FailedStrcmpShouldntMatch(C);OutOfCallMsgs(P);OutOfCallMsgs(C);DeadCallMsgs(P);DeadCallMsgs(C);Retransmissions(P);Retransmissions(C);AutoAnswered(P);AutoAnswered(C);Warnings(P);Warnings(C);FatalErrors(P);FatalErrors(C);WatchdogMajor(P);WatchdogMajor(C);WatchdogMinor(P);WatchdogMinor(C);CallLength(P);CallLength(C);CallLengthStDev(P);CallLengthStDev(C);',
  '2026-11-26\t06:16:38.639804\t1795673798.639804;2026-11-26\t06:16:38.639804\t1795673798.639804;2026-11-26\t06:16:38.640941\t1795673798.640941;00:00:00;00:00:00;10;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
  '2026-11-26\t06:16:38.639804\t1795673798.639804;2026-11-26\t06:16:38.641158\t1795673798.641158;2026-11-26\t06:16:39.644279\t1795673799.644279;00:00:01;00:00:01;10;1.99402;1.99203;0;0;2;2;2;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;2;2;0;0;0;0;0;0;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
  '2026-11-26\t06:16:38.639804\t1795673798.639804;2026-11-26\t06:16:39.644353\t1795673799.644353;2026-11-26\t06:16:39.848704\t1795673799.848704;00:00:00;00:00:01;10;0;1.65563;0;0;0;2;2;0;0;0;2;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;2;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;2;0;0;0;0;0;0;00:00:01:006000;00:00:01:006000;00:00:00:002000;00:00:00:002000;',
  '2026-11-26\t06:16:38.639804\t1795673798.639804;2026-11-26\t06:16:39.848795\t1795673799.848795;2026-11-26\t06:16:39.848845\t1795673799.848845;00:00:00;00:00:01;10;0;1.65426;0;0;0;2;2;0;0;0;0;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;2;0;0;0;0;0;0;00:00:00:000000;00:00:01:006000;00:00:00:000000;00:00:00:002000;',
].map((line) => `${line}\n`).join('');

/** uac-call-hold-until-bye.xml, two answered calls still up when its time bound stopped it. */
const CALLER_STOPPED_HOLDING = [
  'StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);FailedCannotSendMessage(P);FailedCannotSendMessage(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);FailedTcpConnect(P);FailedTcpConnect(C);FailedTcpClosed(P);FailedTcpClosed(C);FailedUnexpectedMessage(P);FailedUnexpectedMessage(C);FailedCallRejected(P);FailedCallRejected(C);FailedCmdNotSent(P);FailedCmdNotSent(C);FailedRegexpDoesntMatch(P);FailedRegexpDoesntMatch(C);FailedRegexpShouldntMatch(P);FailedRegexpShouldntMatch(C);FailedRegexpHdrNotFound(P);FailedRegexpHdrNotFound(C);FailedOutboundCongestion(P);FailedOutboundCongestion(C);FailedTimeoutOnRecv(P);FailedTimeoutOnRecv(C);FailedTimeoutOnSend(P);FailedTimeoutOnSend(C);FailedTestDoesntMatch(P);FailedTestDoesntMatch(C);FailedTestShouldntMatch(P);FailedTestShouldntMatch(C);FailedStrcmpDoesntMatch(P);FailedStrcmpDoesntMatch(C);FailedStrcmpShouldntMatch(P);FailedStrcmpShouldntMatch(C);OutOfCallMsgs(P);OutOfCallMsgs(C);DeadCallMsgs(P);DeadCallMsgs(C);Retransmissions(P);Retransmissions(C);AutoAnswered(P);AutoAnswered(C);Warnings(P);Warnings(C);FatalErrors(P);FatalErrors(C);WatchdogMajor(P);WatchdogMajor(C);WatchdogMinor(P);WatchdogMinor(C);ResponseTime1(P);ResponseTime1(C);ResponseTime1StDev(P);ResponseTime1StDev(C);CallLength(P);CallLength(C);CallLengthStDev(P);CallLengthStDev(C);',
  '2026-11-26\t06:16:20.696319\t1795673780.696319;2026-11-26\t06:16:20.696319\t1795673780.696319;2026-11-26\t06:16:20.696615\t1795673780.696615;00:00:00;00:00:00;10;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
  '2026-11-26\t06:16:20.696319\t1795673780.696319;2026-11-26\t06:16:20.696751\t1795673780.696751;2026-11-26\t06:16:21.699703\t1795673781.699703;00:00:01;00:00:01;10;1.99601;1.99402;0;0;2;2;2;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:014000;00:00:00:014000;00:00:00:002000;00:00:00:002000;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
  '2026-11-26\t06:16:20.696319\t1795673780.696319;2026-11-26\t06:16:21.699780\t1795673781.699780;2026-11-26\t06:16:22.192063\t1795673782.192063;00:00:00;00:00:01;10;0;1.33779;0;0;0;2;2;2;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;00:00:00:000000;00:00:00:014000;00:00:00:000000;00:00:00:002000;00:00:00:000000;00:00:00:000000;00:00:00:000000;00:00:00:000000;',
].map((line) => `${line}\n`).join('');

/** The same text with one field of its last row replaced. */
function withLastRowField(csvText: string, column: string, value: string): string {
  const lines = csvText.split('\n');
  const header = lines[0]!.split(';');
  const row = lines[lines.length - 2]!.split(';');
  row[header.indexOf(column)] = value;
  lines[lines.length - 2] = row.join(';');
  return lines.join('\n');
}

describe('parseSippStats', () => {
  it('reads the cumulative counters of an answering run from its last row', () => {
    expect(parseSippStats(ANSWERER_THREE_CALLS)).to.deep.equal({
      incomingCalls: 3,
      outgoingCalls: 0,
      totalCallsCreated: 3,
      currentCalls: 0,
      successfulCalls: 3,
      failedCalls: 0,
      failedUnexpectedMessage: 0,
      failedRegularExpressionMismatch: 0,
      failedMaxUdpRetransmissions: 0,
      failedTimeoutOnReceive: 0,
      retransmissions: 0,
      deadCallMessages: 0,
      outOfCallMessages: 0,
    });
  });

  it('tells calls that failed a check from calls that got an unexpected message', () => {
    expect(parseSippStats(CALLER_REASON_MISSING)).to.include({
      outgoingCalls: 2,
      incomingCalls: 0,
      totalCallsCreated: 2,
      successfulCalls: 0,
      failedCalls: 2,
      failedRegularExpressionMismatch: 2,
      failedUnexpectedMessage: 0,
    });
  });

  it('finds the counters by name when the scenario adds columns, and sees calls still up', () => {
    // Its first row is all zeros: the counters must come from the last one.
    expect(parseSippStats(CALLER_STOPPED_HOLDING)).to.include({
      outgoingCalls: 2,
      totalCallsCreated: 2,
      currentCalls: 2,
      successfulCalls: 0,
      failedCalls: 0,
    });
  });

  it('ignores a last row that SIPp was still writing', () => {
    const partial = `${CALLER_REASON_MISSING}2026-11-26\t06:16:39.000000\t1795673799.000000;2026-11-26`;
    expect(parseSippStats(partial)).to.deep.equal(parseSippStats(CALLER_REASON_MISSING));
  });

  it('gives nothing before SIPp wrote a row', () => {
    expect(parseSippStats('')).to.equal(undefined);
    const headerOnly = `${ANSWERER_THREE_CALLS.split('\n')[0]}\n`;
    expect(parseSippStats(headerOnly)).to.equal(undefined);
  });

  it('refuses text that is not SIPp statistics', () => {
    const renamed = ANSWERER_THREE_CALLS.replace(';CurrentCall;', ';CurrentCalls;');
    expect(() => parseSippStats(renamed)).to.throw(/no column CurrentCall/);
    expect(() => parseSippStats(withLastRowField(ANSWERER_THREE_CALLS, 'SuccessfulCall(C)', '3.5'))).to.throw(/not a count/);
    const shortRow = ANSWERER_THREE_CALLS.replace(/;\n$/, '\n');
    expect(() => parseSippStats(shortRow)).to.throw(/fields for/);
  });
});
