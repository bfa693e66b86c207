/**
 * The control plane's TCP connection to Kamailio's evapi socket. It reconnects after a loss with a
 * bounded backoff, turns off Nagle's algorithm on our side, and hands every frame to a listener.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { HostPort } from '../../common/config.ts';
import type { Logger } from '../../common/logger.ts';
import { encodeNetstring, NetstringDecoder } from './netstring.ts';

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;

export interface EvapiClientEvents {
  frame: [payload: string];
  connected: [];
  disconnected: [];
}

export class EvapiClient extends EventEmitter<EvapiClientEvents> {
  private socket: net.Socket | undefined;
  private connectedNow = false;
  private stopped = false;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly address: HostPort, private readonly log: Logger) {
    super();
  }

  get connected(): boolean {
    return this.connectedNow;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Sends one message; returns false (and drops it) when not connected. */
  send(payload: string): boolean {
    if (!this.socket || !this.connectedNow) return false;
    this.socket.write(encodeNetstring(payload));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
  }

  private connect(): void {
    const decoder = new NetstringDecoder();
    const socket = net.createConnection({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connectedNow = true;
      this.reconnectDelayMs = RECONNECT_MIN_MS;
      this.log.info({ evapi: `${this.address.host}:${this.address.port}` }, 'connected to the switch');
      this.emit('connected');
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: string[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        this.log.error({ err: error }, 'malformed evapi stream; reconnecting');
        socket.destroy();
        return;
      }
      for (const frame of frames) this.emit('frame', frame);
    });
    socket.on('error', (error) => {
      if (this.connectedNow) this.log.warn({ err: error }, 'evapi connection error');
    });
    socket.on('close', () => {
      const wasConnected = this.connectedNow;
      this.connectedNow = false;
      this.socket = undefined;
      if (wasConnected) this.emit('disconnected');
      if (this.stopped) return;
      this.reconnectTimer = setTimeout(() => this.connect(), this.reconnectDelayMs);
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
    });
  }
}
