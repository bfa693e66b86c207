import { expect } from 'chai';
import { rtpengineArguments } from './rtpengine-process.ts';

describe('rtpengine command line', () => {
  const options = { bin: '/usr/bin/rtpengine', mediaAddress: '192.0.2.10', controlAddr: { host: '127.0.0.1', port: 22222 }, portMin: 30000, portMax: 30999, rtpTimeoutS: 60 };

  it('runs in the foreground, userspace only, without Debian\'s config, control on the given socket', () => {
    const args = rtpengineArguments(options);
    expect(args).to.include.members(['--config-file=none', '--foreground', '--table=-1', '--interface=192.0.2.10', '--listen-ng=127.0.0.1:22222',
      '--port-min=30000', '--port-max=30999', '--timeout=60']);
    expect(args.some((arg) => arg.startsWith('--b2b-url'))).to.equal(false);
  });

  it('frees a deleted call\'s ports within seconds, not rtpengine\'s default 30 s that ran the port range dry at a few hundred calls per second', () => {
    const delay = rtpengineArguments(options).find((arg) => arg.startsWith('--delete-delay='));
    expect(delay).to.not.equal(undefined);
    expect(Number(delay?.slice('--delete-delay='.length))).to.be.within(0, 5);
  });

  it('reports calls whose media stopped to the callback in Kamailio\'s XML-RPC format', () => {
    const args = rtpengineArguments({ ...options, timeoutCallbackUrl: 'http://127.0.0.1:5071/RPC/media-timeout/t' });
    expect(args).to.include.members(['--b2b-url=http://127.0.0.1:5071/RPC/media-timeout/t', '--xmlrpc-format=2']);
  });

  it('keeps the callback, a secret path, out of the command line when it has a config file', () => {
    const args = rtpengineArguments({ ...options, timeoutCallbackUrl: 'http://127.0.0.1:5071/RPC/media-timeout/t' }, '/run/rtpengine.conf');
    expect(args).to.include('--config-file=/run/rtpengine.conf');
    expect(args.join(' ')).to.not.include('media-timeout');
  });
});
