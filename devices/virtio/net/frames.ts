/**
 * The framing of the host-side networks (docs/network.md: the user-mode backend and the in-process virtual host): Ethernet II, ARP for IPv4, IPv4
 * without options or fragments, UDP. Pure functions over bytes, so the backend's socket code
 * stays small and every byte of a frame can be tested by hand.
 */

export const ETH_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IPV4_HEADER = 20;
export const UDP_HEADER = 8;
export const IPPROTO_UDP = 17;
export const ARP_PACKET = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** Standard Ethernet payload: the largest IPv4 packet sent to the guest without fragmenting. */
export const MTU = 1500;
export const MAX_UDP_PAYLOAD = MTU - IPV4_HEADER - UDP_HEADER;

export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export function ipString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
}

export function macString(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The Internet checksum (RFC 1071) of `data`, starting from a partial sum. */
export function inetChecksum(data: Uint8Array, start = 0, end = data.length, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The UDP checksum over the IPv4 pseudo-header and the UDP segment at [off, off+len). */
function udpChecksum(frame: Uint8Array, src: number, dst: number, off: number, len: number): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IPPROTO_UDP + len;
  let i = off;
  for (; i + 1 < off + len; i += 2) sum += (frame[i]! << 8) | frame[i + 1]!;
  if (i < off + len) sum += frame[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  return c === 0 ? 0xffff : c; // 0 means "no checksum" in UDP
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

/** An Ethernet/IPv4/UDP frame, with both checksums computed. */
export function buildUdpFrame(d: UdpDatagram, ipId = 0): Uint8Array {
  const udpLen = UDP_HEADER + d.payload.length;
  const ipLen = IPV4_HEADER + udpLen;
  const f = new Uint8Array(ETH_HEADER + ipLen);
  const v = new DataView(f.buffer);
  f.set(d.dstMac.subarray(0, 6), 0);
  f.set(d.srcMac.subarray(0, 6), 6);
  v.setUint16(12, ETHERTYPE_IPV4);
  const ip = ETH_HEADER;
  f[ip] = 0x45;
  v.setUint16(ip + 2, ipLen);
  v.setUint16(ip + 4, ipId & 0xffff);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  f[ip + 8] = 64;
  f[ip + 9] = IPPROTO_UDP;
  v.setUint32(ip + 12, d.srcIp >>> 0);
  v.setUint32(ip + 16, d.dstIp >>> 0);
  v.setUint16(ip + 10, inetChecksum(f, ip, ip + IPV4_HEADER));
  const udp = ip + IPV4_HEADER;
  v.setUint16(udp, d.srcPort);
  v.setUint16(udp + 2, d.dstPort);
  v.setUint16(udp + 4, udpLen);
  f.set(d.payload, udp + UDP_HEADER);
  v.setUint16(udp + 6, udpChecksum(f, d.srcIp >>> 0, d.dstIp >>> 0, udp, udpLen));
  return f;
}

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

export function buildArpFrame(dstMac: Uint8Array, srcMac: Uint8Array, a: ArpPacket): Uint8Array {
  const f = new Uint8Array(ETH_HEADER + ARP_PACKET);
  const v = new DataView(f.buffer);
  f.set(dstMac.subarray(0, 6), 0);
  f.set(srcMac.subarray(0, 6), 6);
  v.setUint16(12, ETHERTYPE_ARP);
  const p = ETH_HEADER;
  v.setUint16(p, 1); // Ethernet
  v.setUint16(p + 2, ETHERTYPE_IPV4);
  f[p + 4] = 6;
  f[p + 5] = 4;
  v.setUint16(p + 6, a.op);
  f.set(a.senderMac.subarray(0, 6), p + 8);
  v.setUint32(p + 14, a.senderIp >>> 0);
  f.set(a.targetMac.subarray(0, 6), p + 18);
  v.setUint32(p + 24, a.targetIp >>> 0);
  return f;
}

/** What a frame from the guest is, or why it is not something the network carries. */
export type Parsed =
  | { kind: 'udp'; d: UdpDatagram }
  | { kind: 'arp'; srcMac: Uint8Array; a: ArpPacket }
  | { kind: 'ignored'; why: string }
  | { kind: 'malformed'; why: string };

/** Parses a frame from the guest. Never throws: every byte of it may be garbage. */
export function parseFrame(f: Uint8Array): Parsed {
  if (f.length < ETH_HEADER) return { kind: 'malformed', why: `frame of ${f.length} bytes, shorter than an Ethernet header` };
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const dstMac = f.slice(0, 6);
  const srcMac = f.slice(6, 12);
  const type = v.getUint16(12);
  if (type === ETHERTYPE_ARP) return parseArpPacket(f, v, srcMac);
  if (type !== ETHERTYPE_IPV4) return { kind: 'ignored', why: `ethertype 0x${type.toString(16).padStart(4, '0')}` };
  const ip = ETH_HEADER;
  if (f.length < ip + IPV4_HEADER) return { kind: 'malformed', why: 'truncated IPv4 header' };
  const vihl = f[ip]!;
  const ihl = (vihl & 0xf) * 4;
  if (vihl >> 4 !== 4 || ihl < IPV4_HEADER) return { kind: 'malformed', why: `IPv4 version/IHL byte 0x${vihl.toString(16)}` };
  const total = v.getUint16(ip + 2);
  if (total < ihl || ip + total > f.length) return { kind: 'malformed', why: `IPv4 total length ${total} in a ${f.length - ip}-byte packet` };
  if (inetChecksum(f, ip, ip + ihl) !== 0) return { kind: 'malformed', why: 'bad IPv4 header checksum' };
  const frag = v.getUint16(ip + 6);
  if ((frag & 0x3fff) !== 0) return { kind: 'ignored', why: 'IPv4 fragment' };
  const proto = f[ip + 9]!;
  if (proto !== IPPROTO_UDP) return { kind: 'ignored', why: `IP protocol ${proto}` };
  const srcIp = v.getUint32(ip + 12);
  const dstIp = v.getUint32(ip + 16);
  const udp = ip + ihl;
  const udpBytes = total - ihl;
  if (udpBytes < UDP_HEADER) return { kind: 'malformed', why: 'truncated UDP header' };
  const udpLen = v.getUint16(udp + 4);
  if (udpLen < UDP_HEADER || udpLen > udpBytes) return { kind: 'malformed', why: `UDP length ${udpLen} in a ${udpBytes}-byte segment` };
  const sum = v.getUint16(udp + 6);
  if (sum !== 0) {
    // Recompute with the checksum field zeroed, without copying the frame.
    const copy = f.slice(udp, udp + udpLen);
    copy[6] = copy[7] = 0;
    if (udpChecksum(copy, srcIp, dstIp, 0, udpLen) !== sum) return { kind: 'malformed', why: 'bad UDP checksum' };
  }
  return {
    kind: 'udp',
    d: {
      srcMac, dstMac, srcIp, dstIp, srcPort: v.getUint16(udp), dstPort: v.getUint16(udp + 2),
      payload: f.slice(udp + UDP_HEADER, udp + udpLen),
    },
  };
}

function parseArpPacket(f: Uint8Array, v: DataView, srcMac: Uint8Array): Parsed {
  const p = ETH_HEADER;
  if (f.length < p + ARP_PACKET) return { kind: 'malformed', why: 'truncated ARP packet' };
  if (v.getUint16(p) !== 1 || v.getUint16(p + 2) !== ETHERTYPE_IPV4 || f[p + 4] !== 6 || f[p + 5] !== 4) {
    return { kind: 'ignored', why: 'ARP for something other than IPv4 over Ethernet' };
  }
  return {
    kind: 'arp', srcMac,
    a: {
      op: v.getUint16(p + 6), senderMac: f.slice(p + 8, p + 14), senderIp: v.getUint32(p + 14),
      targetMac: f.slice(p + 18, p + 24), targetIp: v.getUint32(p + 24),
    },
  };
}

/** The same codec in the shape simple callers and tests want: undefined for anything else. */
export const internetChecksum = inetChecksum;

export function buildUdp(d: UdpDatagram): Uint8Array {
  return buildUdpFrame(d);
}

export function parseUdp(f: Uint8Array): UdpDatagram | undefined {
  const p = parseFrame(f);
  return p.kind === 'udp' ? p.d : undefined;
}

export function buildArp(a: ArpPacket, dstMac: Uint8Array): Uint8Array {
  return buildArpFrame(dstMac, a.senderMac, a);
}

export function parseArp(f: Uint8Array): ArpPacket | undefined {
  const p = parseFrame(f);
  return p.kind === 'arp' ? p.a : undefined;
}
