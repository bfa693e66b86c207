/**
 * TLS on both interfaces, with a self-signed certificate made for the test (openssl): the API over
 * HTTPS, and SIP over TLS beside UDP, the edge's rules unchanged (a stranger is answered 403).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { sipRequest } from '../support/raw-sip.ts';
import { startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 11870, evapi: 11871, jsonrpc: 11872, api: 11873 };
const SIP_TLS_PORT = 11874;
const STRANGER_IP = '127.0.0.171';

describe('TLS: HTTPS for the API and SIP over TLS', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let dir: string;
  let ca: Buffer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'minutex-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(cert);
    running = await startTestSystem(PORTS, {
      MINUTEX_API_TLS_CERT: cert, MINUTEX_API_TLS_KEY: key,
      MINUTEX_SIP_TLS_ADDR: `127.0.0.1:${SIP_TLS_PORT}`, MINUTEX_SIP_TLS_CERT: cert, MINUTEX_SIP_TLS_KEY: key,
    });
  });
  after(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS with the configured certificate', async () => {
    expect(running.system.apiUrl).to.equal(`https://127.0.0.1:${PORTS.api}`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.get(`${running.system.apiUrl}/v1/carriers`, { ca, headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.body)).to.have.property('carriers');
  });

  it('answers SIP over TLS, a stranger with 403 as over UDP', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      // From a chosen loopback address: a plain TCP connection first, TLS over it.
      const tcp = net.connect({ host: '127.0.0.1', port: SIP_TLS_PORT, localAddress: STRANGER_IP });
      const socket = tls.connect({ socket: tcp, host: '127.0.0.1', servername: undefined, ca }, () => {
        socket.write(sipRequest('OPTIONS', `${STRANGER_IP}:${socket.localPort}`).replace('SIP/2.0/UDP', 'SIP/2.0/TLS'));
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          socket.end();
          resolve(text);
        }
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`no answer over TLS: ${text}`)), 5000);
    });
    expect(answer).to.match(/^SIP\/2\.0 403 /);
  });
});
