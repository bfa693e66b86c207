import { expect } from 'chai';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration of the exchange across nodes', () => {
  it('advertises the API at its own address, on loopback when it listens on every address', () => {
    expect(loadConfig({ MINUTEX_API_ADDR: '10.0.0.5:8081' }).apiAdvertiseUrl).to.equal('http://10.0.0.5:8081');
    expect(loadConfig({ MINUTEX_API_ADDR: '0.0.0.0:8081' }).apiAdvertiseUrl).to.equal('http://127.0.0.1:8081');
    expect(loadConfig({ MINUTEX_API_ADVERTISE_URL: 'https://node-2.example.net:8443/' }).apiAdvertiseUrl).to.equal('https://node-2.example.net:8443');
  });

  it('refuses an advertised address that is not an http URL, and a poll outside its range', () => {
    expect(() => loadConfig({ MINUTEX_API_ADVERTISE_URL: 'node-2:8080' })).to.throw(ConfigError, 'MINUTEX_API_ADVERTISE_URL');
    expect(() => loadConfig({ MINUTEX_EXCHANGE_LEADER_POLL_MS: '10' })).to.throw(ConfigError, 'MINUTEX_EXCHANGE_LEADER_POLL_MS');
  });
});
