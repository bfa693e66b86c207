import { expect } from 'chai';
import { createLogger } from './logger.ts';

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
