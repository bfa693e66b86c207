/**
 * A media endpoint for tests: a UDP socket that sends RTP packets (PCMU, 20 ms of silence each) to
 * a given address and counts the RTP it receives, by source. It stands for a carrier's media
 * gateway behind the SDP of a SIPp scenario (the scenario's [rtp_ip]/[rtp_port] keys).
 */
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';

const RTP_HEADER_BYTES = 12;
const PCMU_PAYLOAD_TYPE = 0;
/** 20 ms of G.711 µ-law at 8 kHz. */
const SAMPLES_PER_PACKET = 160;

export interface RtpEndpoint {
  readonly received: number;
  /** Source addresses ("ip:port") RTP came from. */
  readonly sources: ReadonlySet<string>;
  send(host: string, port: number, packets: number, intervalMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openRtpEndpoint(address: string, port: number): Promise<RtpEndpoint> {
  const socket = dgram.createSocket('udp4');
  let received = 0;
  const sources = new Set<string>();
  socket.on('message', (packet, from) => {
    if (packet.length >= RTP_HEADER_BYTES && (packet[0]! >> 6) === 2) {
      received += 1;
      sources.add(`${from.address}:${from.port}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => resolve());
  });
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  let sequence = 0;
  return {
    get received() {
      return received;
    },
    sources,
    async send(host, remotePort, packets, intervalMs = 20) {
      for (let index = 0; index < packets; index += 1) {
        const packet = Buffer.alloc(RTP_HEADER_BYTES + SAMPLES_PER_PACKET, 0xff);
        packet[0] = 0x80;
        packet[1] = PCMU_PAYLOAD_TYPE;
        packet.writeUInt16BE(sequence & 0xffff, 2);
        packet.writeUInt32BE((sequence * SAMPLES_PER_PACKET) >>> 0, 4);
        packet.writeUInt32BE(ssrc >>> 0, 8);
        sequence += 1;
        socket.send(packet, remotePort, host);
        await sleep(intervalMs);
      }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The connection address and audio port of an SDP body. */
export function sdpMediaAddress(message: string): { host: string; port: number } | undefined {
  const host = /^c=IN IP4 (\S+)/m.exec(message)?.[1];
  const port = /^m=audio (\d+)/m.exec(message)?.[1];
  return host === undefined || port === undefined ? undefined : { host, port: Number(port) };
}
