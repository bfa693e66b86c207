import { expect } from 'chai';
import { isUdpEndpointBound, procNetUdpEndpoint } from './udp-ports.ts';

// Lines of /proc/net/udp on this project's test machine (x86-64, little-endian) while SIPp ran
// on 127.0.0.3:5980 (its media sockets on 6000 and 6002) and another program on 127.0.0.3:5197.
const PROC_NET_UDP = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
  '   42: 0300007F:144D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 137520 2 00000000014222dc 0        ',
  '  825: 0300007F:175C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41035 2 00000000c78204ac 0         ',
  '  845: 0300007F:1770 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41036 2 00000000ec965fb5 0         ',
  '  847: 0300007F:1772 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41037 2 00000000e2f07116 0         ',
  ' 3733: 00000000:22B8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41038 2 00000000e91b20f3 0         ',
  '',
].join('\n');

describe('procNetUdpEndpoint', () => {
  it('writes the address in the byte order the kernel prints it, and the port in hex', () => {
    // 127.0.0.3 is 7F 00 00 03 on the wire; a little-endian machine prints 0300007F. 5980 = 0x175C.
    expect(procNetUdpEndpoint('127.0.0.3', 5980, 'LE')).to.equal('0300007F:175C');
    expect(procNetUdpEndpoint('127.0.0.3', 5980, 'BE')).to.equal('7F000003:175C');
    expect(procNetUdpEndpoint('127.0.0.12', 80, 'LE')).to.equal('0C00007F:0050');
  });
});

describe('isUdpEndpointBound', () => {
  it('finds SIPp’s socket and the other program’s, and nothing else', () => {
    expect(isUdpEndpointBound(PROC_NET_UDP, '127.0.0.3', 5980, 'LE')).to.equal(true);
    expect(isUdpEndpointBound(PROC_NET_UDP, '127.0.0.3', 5197, 'LE')).to.equal(true);
    expect(isUdpEndpointBound(PROC_NET_UDP, '127.0.0.3', 5981, 'LE')).to.equal(false);
    expect(isUdpEndpointBound(PROC_NET_UDP, '127.0.0.4', 5980, 'LE')).to.equal(false);
  });
});
