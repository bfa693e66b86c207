/** Raw SIP over UDP for edge tests: send any bytes from a chosen loopback address, collect what comes back. */
import dgram from 'node:dgram';

export interface RawSipPeer {
  readonly port: number;
  /** Sends one datagram to the switch. */
  send(message: string | Buffer): Promise<void>;
  /** Answers received so far (their first lines and whole text). */
  readonly received: string[];
  /** Waits up to `ms` for an answer beyond the first `count` received. */
  waitFor(count: number, ms: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function rawSipPeer(localAddress: string, target: { host: string; port: number }): Promise<RawSipPeer> {
  const socket = dgram.createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (message) => received.push(message.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind({ address: localAddress, port: 0 }, resolve));
  const port = socket.address().port;
  return {
    port, received,
    send: (message) => new Promise<void>((resolve, reject) => socket.send(message, target.port, target.host, (error) => (error ? reject(error) : resolve()))),
    async waitFor(count, ms) {
      const deadline = Date.now() + ms;
      while (received.length <= count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return received.length > count;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A well-formed request from `from` (address:port) with the given method and headers replaced or added. */
export function sipRequest(method: string, from: string, overrides: Record<string, string | null> = {}, body = ''): string {
  const tag = Math.random().toString(36).slice(2, 10);
  const headers: Record<string, string | null> = {
    Via: `SIP/2.0/UDP ${from};branch=z9hG4bK${tag}${Date.now()}`,
    'Max-Forwards': '70',
    From: `<sip:probe@${from}>;tag=${tag}`,
    To: '<sip:442079460000@127.0.0.1>',
    'Call-ID': `${tag}-${Date.now()}@edge-test`,
    CSeq: `1 ${method}`,
    Contact: `<sip:probe@${from}>`,
    'User-Agent': 'edge-test',
    ...overrides,
  };
  if (!('Content-Length' in overrides)) headers['Content-Length'] = String(Buffer.byteLength(body));
  const lines = Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== null).map(([name, value]) => `${name}: ${value}`);
  return `${method} sip:442079460000@127.0.0.1 SIP/2.0\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}
