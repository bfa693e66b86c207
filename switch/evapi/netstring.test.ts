import { expect } from 'chai';
import { encodeNetstring, NetstringDecoder, NetstringError } from './netstring.ts';

describe('netstring framing', () => {
  it('encodes the byte length (10 for 9 characters, é being 2 bytes), not the character length', () => {
    expect(encodeNetstring('{"a":"é"}').toString('utf8')).to.equal('10:{"a":"é"},');
  });

  it('decodes frames split across chunks and several frames in one chunk', () => {
    const decoder = new NetstringDecoder();
    const stream = Buffer.concat([encodeNetstring('{"x":1}'), encodeNetstring('hello'), encodeNetstring('')]);
    const frames: string[] = [];
    for (let i = 0; i < stream.length; i += 3) frames.push(...decoder.push(stream.subarray(i, i + 3)));
    expect(frames).to.deep.equal(['{"x":1}', 'hello', '']);
  });

  it('refuses a frame without its comma, a bad length and an oversized frame', () => {
    expect(() => new NetstringDecoder().push(Buffer.from('3:abc;'))).to.throw(NetstringError);
    expect(() => new NetstringDecoder().push(Buffer.from('x3:abc,'))).to.throw(NetstringError);
    expect(() => new NetstringDecoder(10).push(Buffer.from('11:'))).to.throw(NetstringError);
  });
});
