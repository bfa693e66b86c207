/**
 * Reads the messages a SIPp run recorded with -trace_msg: each entry is a header line naming the
 * direction ("UDP message received ..." or "UDP message sent ...") followed by the SIP message.
 */
import { readFileSync } from 'node:fs';

export interface RecordedMessage {
  readonly direction: 'received' | 'sent';
  readonly text: string;
}

/** SIPp arguments that record every message of the run to `file`. */
export function traceMessagesTo(file: string): string[] {
  return ['-trace_msg', '-message_file', file];
}

export function readRecordedMessages(file: string): RecordedMessage[] {
  const entries = readFileSync(file, 'utf8').split(/^-{20,}.*$/m);
  return entries.flatMap((entry) => {
    const match = /^\s*\w+ message (received|sent)[^\n]*\n+([\s\S]*)$/.exec(entry);
    if (!match) return [];
    return [{ direction: match[1] as 'received' | 'sent', text: match[2]!.trim() }];
  });
}

/** The value of a header of a SIP message (first occurrence, by full name). */
export function headerOf(message: string, name: string): string | undefined {
  const match = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im').exec(message);
  return match?.[1]?.trim();
}
