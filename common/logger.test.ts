import { expect } from 'chai';
import { ConfigError, loadConfig } from './config.ts';
import { chooseLogFormat, createLogger } from './logger.ts';

describe('logger', () => {
  it('never writes a token, a key or an authorization header', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
    log.info({ token: 'mto_secret1', key: 'mtx_secret2', headers: { authorization: 'Bearer secret3' }, created: { token: 'mto_secret4' } }, 'made');
    log.child({ authorization: 'Bearer secret5' }).warn('child');
    const text = lines.join('');
    for (const secret of ['secret1', 'secret2', 'secret3', 'secret4', 'secret5']) expect(text).to.not.include(secret);
    expect(text).to.include('[redacted]');
  });
});

describe('log format', () => {
  it('is readable on a terminal and JSON lines otherwise, unless MINUTEX_LOG_FORMAT says', () => {
    expect(chooseLogFormat('auto', true)).to.equal('pretty');
    expect(chooseLogFormat('auto', false)).to.equal('json');
    expect(chooseLogFormat('json', true)).to.equal('json');
    expect(chooseLogFormat('pretty', false)).to.equal('pretty');
  });

  it('is read from MINUTEX_LOG_FORMAT, auto by default, and refuses anything else', () => {
    expect(loadConfig({}).logFormat).to.equal('auto');
    expect(loadConfig({ MINUTEX_LOG_FORMAT: 'json' }).logFormat).to.equal('json');
    expect(() => loadConfig({ MINUTEX_LOG_FORMAT: 'yaml' })).to.throw(ConfigError, /MINUTEX_LOG_FORMAT/);
  });

  it('writes pretty lines a person reads, and JSON a program parses', () => {
    const prettyLines: string[] = [];
    createLogger('info', 'test', { write: (line: string) => void prettyLines.push(line) }, 'pretty').info({ call_id: 'c-1', token: 'mto_secret' }, 'call routed');
    const prettyText = prettyLines.join('');
    expect(prettyText).to.match(/INFO.*call routed/);
    expect(prettyText).to.include('c-1').and.not.include('mto_secret');
    expect(() => void JSON.parse(prettyText)).to.throw();

    const jsonLines: string[] = [];
    createLogger('info', 'test', { write: (line: string) => void jsonLines.push(line) }).info({ call_id: 'c-1' }, 'call routed');
    expect(JSON.parse(jsonLines.join(''))).to.include({ msg: 'call routed', call_id: 'c-1', level: 30 });
  });
});
