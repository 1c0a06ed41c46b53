/**
 * The user-mode UDP network (devices/virtio/net/slirp-udp.ts, docs/network.md): frames built by
 * hand, checked byte by byte, and a real socket on 127.0.0.1.
 */
import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { SlirpUdpBackend } from '../../devices/virtio/net/slirp-udp.js';
import {
  ETHERTYPE_ARP, ETHERTYPE_IPV4, buildArpFrame, buildUdpFrame, inetChecksum, parseFrame,
} from '../../devices/virtio/net/frames.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP } from '../../vmm/platform.js';

const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

/** A guest UDP frame written out by hand: 10.0.2.15:7 -> 10.0.2.2:5555, payload "hi", checksum 0. */
const GUEST_UDP = hex(`
  525500 0a0202  525400 123456  0800
  45 00 001e 0000 4000 40 11 0000  0a00020f 0a000202
  0007 15b3 000a 0000
  6869`);
// Fill in the IPv4 header checksum as a sender would.
{
  const c = inetChecksum(GUEST_UDP, 14, 34);
  GUEST_UDP[24] = c >> 8;
  GUEST_UDP[25] = c & 0xff;
}

function arpRequest(target: number): Uint8Array {
  return buildArpFrame(Uint8Array.of(255, 255, 255, 255, 255, 255), GUEST_MAC, {
    op: 1, senderMac: GUEST_MAC, senderIp: NET_GUEST_IP, targetMac: new Uint8Array(6), targetIp: target,
  });
}

t.test('a host datagram becomes a frame from the gateway to the guest, checksums right', async (t) => {
  const b = new SlirpUdpBackend(undefined, 5555, 7);
  const got: Uint8Array[] = [];
  b.onReceive = (f) => got.push(f);
  b.fromHost(new TextEncoder().encode('hello'), 40000);
  t.equal(got.length, 1);
  const f = got[0]!;
  const v = new DataView(f.buffer);
  t.same([...f.subarray(0, 6)], [...GUEST_MAC], 'to the guest MAC');
  t.same([...f.subarray(6, 12)], [...NET_GATEWAY_MAC], 'from 52:55:0a:00:02:02');
  t.equal(v.getUint16(12), ETHERTYPE_IPV4);
  t.equal(f[14], 0x45);
  t.equal(v.getUint16(16), 20 + 8 + 5, 'IPv4 total length');
  t.equal(f[23], 17, 'UDP');
  t.equal(inetChecksum(f, 14, 34), 0, 'IPv4 header checksum verifies');
  t.equal(v.getUint32(26), NET_GATEWAY_IP, 'from 10.0.2.2');
  t.equal(v.getUint32(30), NET_GUEST_IP, 'to 10.0.2.15');
  t.equal(v.getUint16(34), 40000, 'source port = the host sender port');
  t.equal(v.getUint16(36), 7, 'destination port = GUESTPORT');
  t.equal(v.getUint16(38), 13, 'UDP length');
  t.not(v.getUint16(40), 0, 'UDP checksum computed');
  t.equal(new TextDecoder().decode(f.subarray(42)), 'hello');
  const back = parseFrame(f);
  t.equal(back.kind, 'udp', 'our own frame parses, UDP checksum included');
  t.equal(b.stats.toGuest, 1);
});

t.test('ARP for the gateway is answered with the gateway MAC; ARP for others is ignored', async (t) => {
  const b = new SlirpUdpBackend(undefined, 1, 7);
  const got: Uint8Array[] = [];
  b.onReceive = (f) => got.push(f);
  b.send(arpRequest(NET_GATEWAY_IP));
  t.equal(got.length, 1);
  const r = got[0]!;
  const v = new DataView(r.buffer);
  t.same([...r.subarray(0, 6)], [...GUEST_MAC], 'unicast back to the asker');
  t.equal(v.getUint16(12), ETHERTYPE_ARP);
  t.equal(v.getUint16(20), 2, 'a reply');
  t.same([...r.subarray(22, 28)], [...NET_GATEWAY_MAC], 'sender MAC: the gateway');
  t.equal(v.getUint32(28), NET_GATEWAY_IP);
  t.same([...r.subarray(32, 38)], [...GUEST_MAC]);
  t.equal(v.getUint32(38), NET_GUEST_IP);
  b.send(arpRequest(0x0a000203));
  t.equal(got.length, 1, 'no answer for 10.0.2.3');
  t.equal(b.stats.arpReplies, 1);
  t.equal(b.stats.ignored, 1);
});

t.test('the guest MAC is learned from its frames', async (t) => {
  const b = new SlirpUdpBackend(undefined, 1, 7, Uint8Array.of(2, 0, 0, 0, 0, 1));
  const other = Uint8Array.of(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc);
  b.send(buildArpFrame(Uint8Array.of(255, 255, 255, 255, 255, 255), other, {
    op: 1, senderMac: other, senderIp: NET_GUEST_IP, targetMac: new Uint8Array(6), targetIp: NET_GATEWAY_IP,
  }));
  t.same([...b.guestMac], [...other]);
  let last: Uint8Array | undefined;
  b.onReceive = (f) => { last = f; };
  b.fromHost(Uint8Array.of(1), 9);
  t.same([...last!.subarray(0, 6)], [...other]);
});

t.test('malformed and foreign guest frames are counted and dropped, never thrown', async (t) => {
  const b = new SlirpUdpBackend(undefined, 1, 7);
  b.onReceive = () => t.fail('nothing goes back to the guest');
  const badSum = GUEST_UDP.slice();
  badSum[25] ^= 1;
  const badUdpSum = GUEST_UDP.slice();
  badUdpSum[40] = 0x12; // a wrong non-zero UDP checksum
  const shortIp = GUEST_UDP.slice(0, 30);
  const bigLen = GUEST_UDP.slice();
  bigLen[16] = 0x10; // total length 0x101e
  const ipv6 = GUEST_UDP.slice();
  ipv6[12] = 0x86; ipv6[13] = 0xdd;
  const tcp = buildUdpFrame({ srcMac: GUEST_MAC, dstMac: NET_GATEWAY_MAC, srcIp: NET_GUEST_IP, dstIp: NET_GATEWAY_IP, srcPort: 1, dstPort: 2, payload: new Uint8Array(0) });
  tcp[23] = 6;
  tcp[24] = tcp[25] = 0;
  const c = inetChecksum(tcp, 14, 34);
  tcp[24] = c >> 8; tcp[25] = c & 0xff;
  const elsewhere = buildUdpFrame({ srcMac: GUEST_MAC, dstMac: NET_GATEWAY_MAC, srcIp: NET_GUEST_IP, dstIp: 0x08080808, srcPort: 1, dstPort: 53, payload: new Uint8Array(4) });
  for (const f of [new Uint8Array(0), new Uint8Array(13), badSum, badUdpSum, shortIp, bigLen]) t.doesNotThrow(() => b.send(f));
  t.equal(b.stats.malformed, 6);
  for (const f of [ipv6, tcp, elsewhere]) b.send(f);
  t.equal(b.stats.ignored, 3);
  t.match(b.stats.lastDrop, /8\.8\.8\.8/);
  t.equal(b.stats.toHost, 0);
  // Random garbage of every length never throws.
  let seed = 1;
  for (let n = 0; n < 400; n++) {
    const f = new Uint8Array(n % 80);
    for (let i = 0; i < f.length; i++) f[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    if (n % 3 === 0 && f.length > 14) { f[12] = 8; f[13] = n % 2 === 0 ? 0 : 6; }
    t.doesNotThrow(() => b.send(f));
  }
});

t.test('a hand-written guest UDP frame with checksum 0 parses', async (t) => {
  const p = parseFrame(GUEST_UDP);
  t.equal(p.kind, 'udp');
  if (p.kind !== 'udp') return;
  t.equal(p.d.srcPort, 7);
  t.equal(p.d.dstPort, 5555);
  t.equal(new TextDecoder().decode(p.d.payload), 'hi');
});

function bound(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

t.test('over a real socket: host -> guest frame, guest reply -> host datagram from HOSTPORT', async (t) => {
  const b = await SlirpUdpBackend.open({ hostPort: 0, guestPort: 7 });
  t.teardown(() => b.close());
  const client = await bound();
  t.teardown(() => client.close());
  const clientPort = client.address().port;
  const frame = new Promise<Uint8Array>((resolve) => { b.onReceive = resolve; });
  client.send(Buffer.from('ping'), b.hostPort, '127.0.0.1');
  const f = await frame;
  const p = parseFrame(f);
  t.equal(p.kind, 'udp');
  if (p.kind !== 'udp') return;
  t.equal(p.d.srcPort, clientPort);
  t.equal(p.d.dstPort, 7);
  t.equal(new TextDecoder().decode(p.d.payload), 'ping');
  // The guest echoes: swap addresses and ports.
  const reply = new Promise<{ msg: Buffer; port: number }>((resolve) => client.once('message', (msg, r) => resolve({ msg, port: r.port })));
  b.send(buildUdpFrame({
    srcMac: p.d.dstMac, dstMac: p.d.srcMac, srcIp: p.d.dstIp, dstIp: p.d.srcIp, srcPort: 7, dstPort: p.d.srcPort,
    payload: new TextEncoder().encode('pong'),
  }));
  const r = await reply;
  t.equal(r.msg.toString(), 'pong');
  t.equal(r.port, b.hostPort, 'the reply comes from HOSTPORT');
  t.equal(b.stats.toHost, 1);
});

t.test('a datagram above the MTU is counted, not delivered', async (t) => {
  const b = new SlirpUdpBackend(undefined, 1, 7);
  b.onReceive = () => t.fail('too big');
  b.fromHost(new Uint8Array(1473), 9);
  t.equal(b.stats.tooBig, 1);
  let n = 0;
  b.onReceive = () => { n++; };
  b.fromHost(new Uint8Array(1472), 9);
  t.equal(n, 1, '1472 bytes fit a 1500-byte MTU');
});

t.test('a taken port is a one-line error', async (t) => {
  const s = await bound();
  t.teardown(() => s.close());
  await t.rejects(SlirpUdpBackend.open({ hostPort: s.address().port, guestPort: 7 }), /^net udp: cannot bind 127\.0\.0\.1:\d+: EADDRINUSE$/);
  await t.rejects(SlirpUdpBackend.open({ hostPort: 70000, guestPort: 7 }), /bad host port/);
  await t.rejects(SlirpUdpBackend.open({ hostPort: 1, guestPort: 0 }), /bad guest port/);
});

t.test('close() right after a guest send still lets the datagram out', async (t) => {
  const b = await SlirpUdpBackend.open({ hostPort: 0, guestPort: 7 });
  const client = await bound();
  t.teardown(() => client.close());
  const got = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
  b.send(buildUdpFrame({
    srcMac: GUEST_MAC, dstMac: NET_GATEWAY_MAC, srcIp: NET_GUEST_IP, dstIp: NET_GATEWAY_IP, srcPort: 7,
    dstPort: client.address().port, payload: new TextEncoder().encode('last words'),
  }));
  b.close();
  t.equal(await got, 'last words');
  b.fromHost(Uint8Array.of(1), 1);
  t.equal(b.stats.toGuest, 0, 'nothing is delivered after close');
});
