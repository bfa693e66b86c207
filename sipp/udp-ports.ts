/**
 * Whether a UDP address and port are already bound, read from Linux's /proc/net/udp.
 *
 * SIPp binds its socket with SO_REUSEADDR, so a second SIPp on an address and port already in
 * use starts without complaint and the two silently share the calls. The runner asks first.
 * In /proc/net/udp the local address is the IPv4 address as the kernel holds it (network byte
 * order) printed as one native-endian 32-bit hex number, then ':' and the port in hex.
 */

/** How an IPv4 address and port appear in the local_address column of /proc/net/udp. */
export function procNetUdpEndpoint(address: string, port: number, endianness: 'LE' | 'BE'): string {
  const octets = address.split('.').map(Number);
  const inMemoryOrder = endianness === 'LE' ? octets.reverse() : octets;
  const hexAddress = inMemoryOrder.map((octet) => octet.toString(16).padStart(2, '0')).join('');
  return `${hexAddress}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

export function isUdpEndpointBound(procNetUdp: string, address: string, port: number, endianness: 'LE' | 'BE'): boolean {
  const wanted = procNetUdpEndpoint(address, port, endianness);
  return procNetUdp.split('\n').slice(1).some((line) => line.trim().split(/\s+/)[1] === wanted);
}
