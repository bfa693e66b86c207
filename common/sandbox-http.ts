/**
 * What the outside systems' sandboxes (financial services node, credit bureau) share as HTTP
 * servers: JSON answers, errors with a machine-readable reason, bounded request bodies, and a
 * server that listens on the address given and stops with its connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A refusal answered as `{ error: reason, message }` with its status. */
export class SandboxHttpError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** Largest request body a sandbox reads, in bytes. */
export const MAX_SANDBOX_BODY_BYTES = 65_536;

export function readBody(request: IncomingMessage, max_bytes = MAX_SANDBOX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max_bytes) {
        reject(new SandboxHttpError(413, 'body_too_large', `bodies are limited to ${max_bytes} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The body as a JSON object (empty: `{}`); anything else is refused 400. */
export function parseJsonObject(raw: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = raw === '' ? {} : JSON.parse(raw);
  } catch {
    throw new SandboxHttpError(400, 'malformed_json', 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SandboxHttpError(400, 'invalid_request', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

export type JsonHandler = (request: IncomingMessage, response: ServerResponse) => Promise<[number, unknown]>;

export interface JsonServer {
  readonly url: string;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Listens on host:port (0: any free port), answering each request with what `handle` gives, as JSON. */
export async function startJsonServer(host: string, port: number, handle: JsonHandler): Promise<JsonServer> {
  const server = createServer((request, response) => {
    handle(request, response).then(([status, body]) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }, (error: unknown) => {
      const known = error instanceof SandboxHttpError ? error : new SandboxHttpError(500, 'internal_error', 'internal error');
      if (!response.destroyed) response.writeHead(known.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: known.reason, message: known.message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
