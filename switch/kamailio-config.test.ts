import { expect } from 'chai';
import { loadConfig } from '../common/config.ts';
import { kamailioSettings, newAgentSecret, renderSettings } from './kamailio-config.ts';

describe("Kamailio's rendered settings", () => {
  it("carry the agent's secret, a fresh one for every run", () => {
    const first = newAgentSecret();
    expect(first).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(newAgentSecret()).to.not.equal(first);
    const settings = renderSettings({ ...kamailioSettings(loadConfig({}), 'postgres://u:p@127.0.0.1/db', first), modulesDir: '/modules' });
    expect(settings).to.include(`#!substdef "!MINUTEX_AGENT_SECRET!${first}!g"`);
  });

  it('take a configured secret only if Kamailio can hold it in a quoted string, and require one with an external switch', () => {
    expect(loadConfig({ MINUTEX_AGENT_SECRET: 'a'.repeat(24) }).agentSecret).to.equal('a'.repeat(24));
    expect(loadConfig({}).agentSecret).to.equal(undefined);
    expect(() => loadConfig({ MINUTEX_AGENT_SECRET: 'short' })).to.throw(/MINUTEX_AGENT_SECRET/);
    expect(() => loadConfig({ MINUTEX_AGENT_SECRET: `${'a'.repeat(24)}"!` })).to.throw(/MINUTEX_AGENT_SECRET/);
    expect(() => loadConfig({ MINUTEX_EXTERNAL_SWITCH: 'true' })).to.throw(/MINUTEX_AGENT_SECRET must be set/);
  });
});
