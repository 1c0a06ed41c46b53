/**
 * Ethernet II, ARP, IPv4 and UDP frames: building and parsing, for the host-side network
 * endpoints (the user-mode UDP backend, the in-process virtual host of the workload driver).
 * Parsing never throws: a frame that is not a well-formed one of these gives undefined.
 * RFC 826 (ARP), RFC 791 (IPv4), RFC 768 (UDP), RFC 1071 (the Internet checksum).
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IPPROTO_UDP = 17;
export const ETH_HEADER = 14;
export const IPV4_HEADER = 20;
export const UDP_HEADER = 8;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

export function macToString(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** RFC 1071 one's-complement sum of 16-bit words, folded, not yet inverted. */
function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < end) s += b[i] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function internetChecksum(b: Uint8Array, start: number, end: number, acc = 0): number {
  return ~sum16(b, start, end, acc) & 0xffff;
}

function udpChecksum(f: Uint8Array, ip: number, srcIp: number, dstIp: number, udpLen: number): number {
  const pseudo = ((srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + IPPROTO_UDP + udpLen);
  const c = internetChecksum(f, ip + IPV4_HEADER, ip + IPV4_HEADER + udpLen, pseudo % 0xffff);
  return c === 0 ? 0xffff : c; // RFC 768: a computed 0 is sent as all ones
}

export interface UdpDatagram {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export function buildUdp(d: UdpDatagram): Uint8Array {
  const udpLen = UDP_HEADER + d.payload.length;
  const f = new Uint8Array(ETH_HEADER + IPV4_HEADER + udpLen);
  const v = new DataView(f.buffer);
  f.set(d.dstMac, 0);
  f.set(d.srcMac, 6);
  v.setUint16(12, ETHERTYPE_IPV4);
  const ip = ETH_HEADER;
  f[ip] = 0x45;
  v.setUint16(ip + 2, IPV4_HEADER + udpLen);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  f[ip + 8] = 64;
  f[ip + 9] = IPPROTO_UDP;
  v.setUint32(ip + 12, d.srcIp);
  v.setUint32(ip + 16, d.dstIp);
  v.setUint16(ip + 10, internetChecksum(f, ip, ip + IPV4_HEADER));
  const u = ip + IPV4_HEADER;
  v.setUint16(u, d.srcPort);
  v.setUint16(u + 2, d.dstPort);
  v.setUint16(u + 4, udpLen);
  f.set(d.payload, u + UDP_HEADER);
  v.setUint16(u + 6, udpChecksum(f, ip, d.srcIp, d.dstIp, udpLen));
  return f;
}

/** A well-formed IPv4/UDP frame (checksums verified; UDP checksum 0 means none), else undefined. */
export function parseUdp(f: Uint8Array): UdpDatagram | undefined {
  if (f.length < ETH_HEADER + IPV4_HEADER + UDP_HEADER) return undefined;
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (v.getUint16(12) !== ETHERTYPE_IPV4) return undefined;
  const ip = ETH_HEADER;
  if (f[ip] !== 0x45 || f[ip + 9] !== IPPROTO_UDP) return undefined; // no options
  const total = v.getUint16(ip + 2);
  if (total < IPV4_HEADER + UDP_HEADER || ip + total > f.length) return undefined;
  if ((v.getUint16(ip + 6) & 0x3fff) !== 0) return undefined; // a fragment
  if (internetChecksum(f, ip, ip + IPV4_HEADER) !== 0) return undefined;
  const u = ip + IPV4_HEADER;
  const udpLen = v.getUint16(u + 4);
  if (udpLen < UDP_HEADER || udpLen > total - IPV4_HEADER) return undefined;
  const srcIp = v.getUint32(ip + 12), dstIp = v.getUint32(ip + 16);
  if (v.getUint16(u + 6) !== 0) {
    const pseudo = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + IPPROTO_UDP + udpLen;
    if (internetChecksum(f, u, u + udpLen, pseudo % 0xffff) !== 0) return undefined;
  }
  return {
    dstMac: f.slice(0, 6), srcMac: f.slice(6, 12), srcIp, dstIp,
    srcPort: v.getUint16(u), dstPort: v.getUint16(u + 2), payload: f.slice(u + UDP_HEADER, u + udpLen),
  };
}

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

export function buildArp(a: ArpPacket, dstMac: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HEADER + 28);
  const v = new DataView(f.buffer);
  f.set(dstMac, 0);
  f.set(a.senderMac, 6);
  v.setUint16(12, ETHERTYPE_ARP);
  v.setUint16(14, 1); // Ethernet
  v.setUint16(16, ETHERTYPE_IPV4);
  f[18] = 6;
  f[19] = 4;
  v.setUint16(20, a.op);
  f.set(a.senderMac, 22);
  v.setUint32(28, a.senderIp);
  f.set(a.targetMac, 32);
  v.setUint32(38, a.targetIp);
  return f;
}

export function parseArp(f: Uint8Array): ArpPacket | undefined {
  if (f.length < ETH_HEADER + 28) return undefined;
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (v.getUint16(12) !== ETHERTYPE_ARP || v.getUint16(14) !== 1 || v.getUint16(16) !== ETHERTYPE_IPV4 || f[18] !== 6 || f[19] !== 4) return undefined;
  return { op: v.getUint16(20), senderMac: f.slice(22, 28), senderIp: v.getUint32(28), targetMac: f.slice(32, 38), targetIp: v.getUint32(38) };
}
