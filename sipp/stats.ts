/**
 * Reads SIPp's statistics file (-trace_stat -stf): a header line of counter names, then one row
 * per report period and a last row when SIPp exits, fields separated by ';' (`sipp -h stat`
 * lists the counters). In the names, (C) marks a counter cumulative since SIPp started and (P)
 * one for the last period only; we read the cumulative ones.
 */

export interface SippStats {
  /** Calls received (an answering scenario). */
  readonly incomingCalls: number;
  /** Calls placed (a calling scenario). */
  readonly outgoingCalls: number;
  /** Calls created either way. */
  readonly totalCallsCreated: number;
  /** Calls still in progress when the row was written (for the last row: when SIPp stopped). */
  readonly currentCalls: number;
  /** Calls that went through the whole scenario. */
  readonly successfulCalls: number;
  /** Calls that failed, for any of the reasons below or others. */
  readonly failedCalls: number;
  /** Calls failed on a message the scenario did not expect (a wrong status code, for one). */
  readonly failedUnexpectedMessage: number;
  /** Calls failed on an <ereg check_it="true"> that did not match (a missing Reason header). */
  readonly failedRegularExpressionMismatch: number;
  /** Calls failed because a request or response was retransmitted the maximum number of times. */
  readonly failedMaxUdpRetransmissions: number;
  /** Calls failed because a <recv timeout> ran out. */
  readonly failedTimeoutOnReceive: number;
  /** Messages SIPp retransmitted. */
  readonly retransmissions: number;
  /** Messages that arrived for calls already ended. */
  readonly deadCallMessages: number;
  /** Messages that matched no call. */
  readonly outOfCallMessages: number;
}

/**
 * The counters of the last complete row, or undefined when there is none yet (SIPp did not
 * start, or was killed before its first report). A line without its final newline is ignored:
 * it is a row SIPp was still writing. Throws when the file is not SIPp's statistics format.
 */
export function parseSippStats(csvText: string): SippStats | undefined {
  const complete = csvText.slice(0, csvText.lastIndexOf('\n') + 1);
  const lines = complete.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line !== '');
  const header = lines[0];
  const lastRow = lines.length >= 2 ? lines[lines.length - 1] : undefined;
  if (header === undefined || lastRow === undefined) return undefined;
  const names = header.split(';');
  const values = lastRow.split(';');
  if (values.length !== names.length) {
    throw new Error(`SIPp statistics row has ${values.length} fields for ${names.length} columns`);
  }
  const counter = (column: string): number => {
    const index = names.indexOf(column);
    const value = values[index];
    if (index < 0 || value === undefined) throw new Error(`SIPp statistics have no column ${column}`);
    if (!/^\d+$/.test(value)) throw new Error(`SIPp statistics column ${column} holds '${value}', not a count`);
    return Number(value);
  };
  return {
    incomingCalls: counter('IncomingCall(C)'),
    outgoingCalls: counter('OutgoingCall(C)'),
    totalCallsCreated: counter('TotalCallCreated'),
    currentCalls: counter('CurrentCall'),
    successfulCalls: counter('SuccessfulCall(C)'),
    failedCalls: counter('FailedCall(C)'),
    failedUnexpectedMessage: counter('FailedUnexpectedMessage(C)'),
    failedRegularExpressionMismatch: counter('FailedRegexpDoesntMatch(C)'),
    failedMaxUdpRetransmissions: counter('FailedMaxUDPRetrans(C)'),
    failedTimeoutOnReceive: counter('FailedTimeoutOnRecv(C)'),
    retransmissions: counter('Retransmissions(C)'),
    deadCallMessages: counter('DeadCallMsgs(C)'),
    outOfCallMessages: counter('OutOfCallMsgs(C)'),
  };
}
