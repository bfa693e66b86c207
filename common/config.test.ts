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

describe('webhook secrets in the configuration', () => {
  it('ships no financial services node secret: unset, each start makes its own and says so', () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(first.fsnWebhookSecretGenerated).to.equal(true);
    expect(first.fsnWebhookSecret).to.have.length.greaterThan(30);
    expect(first.fsnWebhookSecret).to.not.equal(second.fsnWebhookSecret);
    const given = loadConfig({ MINUTEX_FSN_WEBHOOK_SECRET: 'the-providers-secret' });
    expect(given.fsnWebhookSecret).to.equal('the-providers-secret');
    expect(given.fsnWebhookSecretGenerated).to.equal(false);
  });

  it('refuses an alarm webhook URL without a secret to sign with', () => {
    expect(() => loadConfig({ MINUTEX_ALARM_WEBHOOK_URL: 'https://noc.example.net/hooks' })).to.throw(ConfigError, 'MINUTEX_ALARM_WEBHOOK_SECRET');
    expect(loadConfig({ MINUTEX_ALARM_WEBHOOK_URL: 'https://noc.example.net/hooks', MINUTEX_ALARM_WEBHOOK_SECRET: 's3cret' }).alarmWebhookSecret).to.equal('s3cret');
  });
});
