/**
 * Netstring framing as Kamailio's evapi module speaks it (netstring_format=1):
 * `<length in bytes>:<payload>,`. The decoder is incremental (TCP gives arbitrary chunks) and
 * refuses frames above a limit so a broken peer cannot make us buffer without bound.
 */

/** Largest frame we accept, in bytes. A route request is well under 2 KiB. */
export const MAX_FRAME_BYTES = 1_048_576;

export function encodeNetstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

export class NetstringError extends Error {
  override readonly name = 'NetstringError';
}

const COLON = 0x3a;
const COMMA = 0x2c;
const MAX_LENGTH_DIGITS = String(MAX_FRAME_BYTES).length;

export class NetstringDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Feeds bytes and returns every complete payload; throws NetstringError on a malformed stream. */
  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: string[] = [];
    for (;;) {
      const colon = this.buffer.indexOf(COLON);
      if (colon === -1) {
        if (this.buffer.length > MAX_LENGTH_DIGITS) throw new NetstringError('netstring length prefix too long');
        break;
      }
      const lengthText = this.buffer.subarray(0, colon).toString('ascii');
      if (!/^\d+$/.test(lengthText)) throw new NetstringError(`bad netstring length ${JSON.stringify(lengthText.slice(0, 20))}`);
      const length = Number(lengthText);
      if (length > this.maxFrameBytes) throw new NetstringError(`netstring of ${length} bytes exceeds ${this.maxFrameBytes}`);
      const end = colon + 1 + length;
      if (this.buffer.length < end + 1) break;
      if (this.buffer[end] !== COMMA) throw new NetstringError('netstring without its closing comma');
      frames.push(this.buffer.subarray(colon + 1, end).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 1);
    }
    return frames;
  }
}
