/**
 * The control plane's TCP connection to Kamailio's evapi socket. It reconnects after a loss with a
 * bounded backoff, turns off Nagle's algorithm on our side, and hands every frame to a listener.
 *
 * Kamailio sends nothing to a client until it has proved itself: the first message on every
 * connection is {"action":"hello","secret":...} with the secret rendered into Kamailio's settings,
 * and Kamailio answers {"event":"agent_accepted"} to the one client it then routes through. Only
 * after that answer is the client `connected`; a connection that gets no answer in time (wrong
 * secret, or another agent already holds the switch) is closed and tried again later.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { HostPort } from '../../common/config.ts';
import type { Logger } from '../../common/logger.ts';
import { encodeNetstring, NetstringDecoder } from './netstring.ts';

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;
/** How long Kamailio may take to accept our hello, ms; beyond that the connection is dropped. */
const ACCEPT_TIMEOUT_MS = 2000;

export interface EvapiClientEvents {
  frame: [payload: string];
  /** The switch accepted us as its agent (on the first connection and on every reconnection). */
  connected: [];
  disconnected: [];
}

/** Kamailio's answer to a hello with the right secret (minutex-routing.cfg, route AGENT_HELLO). */
function isAcceptance(frame: string): boolean {
  try {
    const value = JSON.parse(frame) as unknown;
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['event'] === 'agent_accepted';
  } catch {
    return false;
  }
}

export class EvapiClient extends EventEmitter<EvapiClientEvents> {
  private socket: net.Socket | undefined;
  private connectedNow = false;
  private stopped = false;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly address: HostPort, private readonly secret: string, private readonly log: Logger) {
    super();
  }

  /** True once the switch has accepted us, until the connection is lost. */
  get connected(): boolean {
    return this.connectedNow;
  }

  /**
   * Calls `listener` each time the switch accepts us: after the first connection and after every
   * reconnection (a Kamailio restart, a network loss), which is when to reconcile with the switch.
   * Returns the function that removes it.
   */
  onConnected(listener: () => void): () => void {
    this.on('connected', listener);
    return () => this.off('connected', listener);
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
    let acceptTimer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(encodeNetstring(JSON.stringify({ action: 'hello', secret: this.secret })));
      acceptTimer = setTimeout(() => {
        this.log.warn({ evapi: `${this.address.host}:${this.address.port}` }, 'the switch did not accept this agent; retrying');
        socket.destroy();
      }, ACCEPT_TIMEOUT_MS);
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
      for (const frame of frames) {
        if (this.connectedNow) {
          this.emit('frame', frame);
        } else if (isAcceptance(frame)) {
          clearTimeout(acceptTimer);
          this.connectedNow = true;
          this.reconnectDelayMs = RECONNECT_MIN_MS;
          this.log.info({ evapi: `${this.address.host}:${this.address.port}` }, 'connected to the switch');
          this.emit('connected');
        }
      }
    });
    socket.on('error', (error) => {
      if (this.connectedNow) this.log.warn({ err: error }, 'evapi connection error');
    });
    socket.on('close', () => {
      clearTimeout(acceptTimer);
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
