/**
 * Probe INVITEs as a buyer's switch sends them, one UDP socket for many: each waits for its final
 * answer (a 100 Trying is not one), acknowledges it, and reports the code and the time it took.
 * Loopback only; every probe has a deadline.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

export interface ProbeAnswer {
  /** The final SIP code, or null when none came before the deadline. */
  readonly code: number | null;
  readonly ms: number;
}

interface Waiting {
  readonly started: bigint;
  readonly resolve: (answer: ProbeAnswer) => void;
  readonly timer: NodeJS.Timeout;
  readonly number: string;
  readonly branch: string;
  readonly fromTag: string;
}

export class SipProber {
  private readonly socket: Socket;
  private readonly waiting = new Map<string, Waiting>();
  private port = 0;

  private constructor(private readonly localAddress: string, private readonly target: { readonly host: string; readonly port: number }) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (message) => this.onMessage(message.toString('utf8')));
  }

  static async open(localAddress: string, target: string): Promise<SipProber> {
    const [host = '', port = ''] = target.split(':');
    if (!host.startsWith('127.') || !localAddress.startsWith('127.')) throw new Error('probes go over loopback only');
    const prober = new SipProber(localAddress, { host, port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      prober.socket.once('error', reject);
      prober.socket.bind(0, localAddress, () => resolve());
    });
    prober.port = prober.socket.address().port;
    return prober;
  }

  invite(number: string, timeoutMs = 5_000): Promise<ProbeAnswer> {
    const callId = `${randomBytes(8).toString('hex')}@${this.localAddress}`;
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const fromTag = randomBytes(4).toString('hex');
    const started = process.hrtime.bigint();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(callId);
        resolve({ code: null, ms: elapsedMs(started) });
      }, timeoutMs);
      this.waiting.set(callId, { started, resolve, timer, number, branch, fromTag });
      this.send([
        `INVITE sip:${number}@${this.target.host}:${this.target.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${this.localAddress}:${this.port};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@${this.localAddress}>;tag=${fromTag}`,
        `To: <sip:${number}@${this.target.host}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:probe@${this.localAddress}:${this.port}>`,
        'Content-Length: 0',
      ]);
    });
  }

  close(): void {
    for (const waiting of this.waiting.values()) clearTimeout(waiting.timer);
    this.waiting.clear();
    this.socket.close();
  }

  private onMessage(text: string): void {
    const status = /^SIP\/2\.0 (\d{3})/.exec(text);
    const callId = /^Call-ID:\s*(.+)$/im.exec(text)?.[1]?.trim();
    if (!status || callId === undefined) return;
    const code = Number(status[1]);
    const waiting = this.waiting.get(callId);
    if (code < 200 || waiting === undefined) return;
    this.waiting.delete(callId);
    clearTimeout(waiting.timer);
    const to = /^To:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? `<sip:${waiting.number}@${this.target.host}>`;
    // A final answer other than 2xx is acknowledged within its transaction, or the switch repeats it.
    if (code >= 300) {
      this.send([
        `ACK sip:${waiting.number}@${this.target.host}:${this.target.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${this.localAddress}:${this.port};branch=${waiting.branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@${this.localAddress}>;tag=${waiting.fromTag}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        'CSeq: 1 ACK',
        'Content-Length: 0',
      ]);
    }
    waiting.resolve({ code, ms: elapsedMs(waiting.started) });
  }

  private send(lines: readonly string[]): void {
    this.socket.send(`${lines.join('\r\n')}\r\n\r\n`, this.target.port, this.target.host);
  }
}

function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
