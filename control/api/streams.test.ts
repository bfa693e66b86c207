import { expect } from 'chai';
import { StreamRegistry } from './streams.ts';

describe('StreamRegistry', () => {
  it('holds at most the maximum per principal, counting each principal apart', () => {
    const registry = new StreamRegistry(2);
    const stream = () => ({ close: () => undefined });
    const [a, b] = [stream(), stream()];
    expect(registry.add('key:1', a)).to.equal(true);
    expect(registry.add('key:1', b)).to.equal(true);
    expect(registry.add('key:1', stream())).to.equal(false);
    expect(registry.add('key:2', stream())).to.equal(true);
    registry.remove('key:1', a);
    expect(registry.add('key:1', stream())).to.equal(true);
  });

  it('closes every stream of a revoked key and forgets them', () => {
    const registry = new StreamRegistry(3);
    let closed = 0;
    for (let i = 0; i < 3; i += 1) registry.add('key:1', { close: () => { closed += 1; } });
    registry.add('key:2', { close: () => { closed += 100; } });
    registry.closeAll('key:1');
    expect(closed).to.equal(3);
    expect(registry.count('key:1')).to.equal(0);
    expect(registry.count('key:2')).to.equal(1);
  });
});
