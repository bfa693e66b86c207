/**
 * One INVITE sent as a raw UDP packet (node:dgram), for tests that need a request SIPp will not
 * build (an oversized Call-ID) or only the switch's final answer. It waits for the first final
 * response to its own Call-ID and sends no ACK: the switch retransmits that response for a while,
 * so a later probe from the same port must not take an earlier call's response for its own.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface ProbeOptions {
  /** The switch, 'host:port' on loopback. */
  readonly target: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly callId: string;
  readonly number: string;
  readonly timeoutMs: number;
}

export interface ProbeAnswer {
  readonly code: number;
  /** The response's header lines, as received. */
  readonly headers: readonly string[];
}

export async function probeInvite(options: ProbeOptions): Promise<ProbeAnswer> {
  const [host, port] = options.target.split(':');
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.localPort, options.localAddress, () => resolve());
    });
    const local = `${options.localAddress}:${options.localPort}`;
    const request = [
      `INVITE sip:${options.number}@${options.target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local};branch=z9hG4bK${randomBytes(8).toString('hex')}`,
      'Max-Forwards: 70',
      `From: <sip:caller@${local}>;tag=${randomBytes(4).toString('hex')}`,
      `To: <sip:${options.number}@${options.target}>`,
      `Call-ID: ${options.callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:caller@${local}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const answer = new Promise<ProbeAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final response within ${options.timeoutMs} ms`)), options.timeoutMs);
      socket.on('message', (packet) => {
        const lines = packet.toString('utf8').split('\r\n');
        const code = Number(/^SIP\/2\.0 (\d{3})/.exec(lines[0] ?? '')?.[1]);
        if (!(code >= 200) || !lines.includes(`Call-ID: ${options.callId}`)) return;
        clearTimeout(timer);
        resolve({ code, headers: lines.slice(1).filter((line) => line !== '') });
      });
    });
    socket.send(request, Number(port), host);
    return await answer;
  } finally {
    socket.close();
  }
}
