/**
 * Reads the file SIPp writes for the scenarios' <log> actions (-trace_logs -log_file): one line
 * per action, exactly the message the scenario gave. Our scenarios write two kinds:
 *
 *   BYE_RECEIVED <Call-ID>                        a BYE came from the network (and was answered)
 *   REJECTED <Call-ID> <status> <header line>     the expected rejection, with its Reason or
 *                                                 X-Reason header line as received
 *
 * Lines of other kinds are left alone, so that a scenario may log more for a person to read.
 */

export interface SippRejection {
  readonly callId: string;
  readonly statusCode: number;
  /** The whole header line, name included, e.g. `Reason: SIP;cause=486;text="Busy Here"`. */
  readonly reasonHeader: string;
}

export interface ScenarioLog {
  /** Call-IDs of the BYEs received, in the order they came, one entry per BYE. */
  readonly receivedByeCallIds: readonly string[];
  readonly rejections: readonly SippRejection[];
}

const BYE_RECEIVED = /^BYE_RECEIVED (\S+)$/;
const REJECTED = /^REJECTED (\S+) ([1-6]\d\d) (\S.*)$/;

/** Throws on a line that starts like one of ours but does not have its shape: a scenario bug. */
export function parseScenarioLog(text: string): ScenarioLog {
  const receivedByeCallIds: string[] = [];
  const rejections: SippRejection[] = [];
  for (const line of text.split('\n').map((raw) => raw.replace(/\r$/, ''))) {
    if (line.startsWith('BYE_RECEIVED')) {
      const match = BYE_RECEIVED.exec(line);
      if (match?.[1] === undefined) throw new Error(`malformed BYE_RECEIVED line in a SIPp log: '${line}'`);
      receivedByeCallIds.push(match[1]);
    } else if (line.startsWith('REJECTED')) {
      const match = REJECTED.exec(line);
      if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) {
        throw new Error(`malformed REJECTED line in a SIPp log: '${line}'`);
      }
      rejections.push({ callId: match[1], statusCode: Number(match[2]), reasonHeader: match[3] });
    }
  }
  return { receivedByeCallIds, rejections };
}
