/**
 * The CLI's side of the HTTP API: JSON requests with the operator token, downloads, and CSV
 * uploads streamed from a file with the bytes sent reported as they go (for a progress bar). An
 * answer other than 2xx becomes an ApiFailure carrying the API's machine-readable reason.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';

export interface ApiConnection {
  readonly url: string;
  readonly token: string;
}

/** The API said no: its HTTP status, its reason code (`invalid_csv`, `not_found`, ...) and whatever else it sent. */
export class ApiFailure extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    readonly apiMessage: string,
    readonly body: Readonly<Record<string, unknown>>,
  ) {
    super(`${method} ${path}: ${status} ${reason}${apiMessage === '' ? '' : `: ${apiMessage}`}`);
    this.name = 'ApiFailure';
  }
}

export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The answer's bytes as they are (a statement's CSV or PDF). */
  download(path: string): Promise<Uint8Array>;
  /** Streams the file as a text/csv body; `onSent(bytes_sent, bytes_total)` is called as it is read out. */
  uploadCsv<T>(path: string, file: string, onSent?: (sent_bytes: number, total_bytes: number) => void): Promise<T>;
}

async function failure(method: string, path: string, response: Response): Promise<ApiFailure> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    body = { message: text.slice(0, 500) };
  }
  const reason = typeof body['error'] === 'string' ? body['error'] : `http_${response.status}`;
  const message = typeof body['message'] === 'string' ? body['message'] : '';
  return new ApiFailure(method, path, response.status, reason, message, body);
}

export function httpApi(connection: ApiConnection): ApiClient {
  const base = connection.url.replace(/\/+$/, '');
  // fetch says only "fetch failed" when it cannot connect; the operator needs the address and why.
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await globalThis.fetch(url, init);
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new Error(`cannot reach the API at ${base}: ${cause}`, { cause: error });
    }
  };
  const authorization = `Bearer ${connection.token}`;
  const parse = async <T>(response: Response): Promise<T> => {
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw await failure(method, path, response);
      return parse<T>(response);
    },

    async download(path: string): Promise<Uint8Array> {
      const response = await fetch(`${base}${path}`, { headers: { authorization } });
      if (!response.ok) throw await failure('GET', path, response);
      return new Uint8Array(await response.arrayBuffer());
    },

    async uploadCsv<T>(path: string, file: string, onSent?: (sent_bytes: number, total_bytes: number) => void): Promise<T> {
      const total_bytes = (await stat(file)).size;
      let sent_bytes = 0;
      // Counted as fetch pulls the file in: what has left for the socket, give or take a buffer.
      const counted = createReadStream(file).pipe(new Transform({
        transform(chunk: Buffer, _encoding, done) {
          sent_bytes += chunk.length;
          onSent?.(sent_bytes, total_bytes);
          done(null, chunk);
        },
      }));
      const init = {
        method: 'POST',
        headers: { authorization, 'content-type': 'text/csv', 'content-length': String(total_bytes) },
        body: Readable.toWeb(counted) as ReadableStream<Uint8Array>,
        duplex: 'half', // a streamed request body must say so (fetch's rule)
      };
      const response = await fetch(`${base}${path}`, init as RequestInit);
      if (!response.ok) throw await failure('POST', path, response);
      return parse<T>(response);
    },
  };
}
