/** The frame codec (devices/virtio/net/frames.ts) and the in-process virtual host. */
import t from 'tap';
import fc from 'fast-check';
import { buildArp, buildUdp, inetChecksum, parseArp, parseUdp, ARP_REQUEST, ARP_REPLY } from '../../devices/virtio/net/frames.js';
import { GATEWAY_IP, GATEWAY_MAC, GUEST_IP, VirtualHost } from '../../devices/virtio/net/virtual-host.js';

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ip = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 0xffff });

t.test('the IPv4 header checksum matches the textbook example', async (t) => {
  const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
  t.equal(inetChecksum(h, 0, 20), 0xb861);
});

t.test('UDP frames round-trip and any corrupted byte of the headers or payload is caught', async (t) => {
  fc.assert(fc.property(mac, mac, ip, ip, port, port, fc.uint8Array({ maxLength: 1500 }), fc.nat(), (sm, dm, si, di, sp, dp, payload, k) => {
    const f = buildUdp({ srcMac: sm, dstMac: dm, srcIp: si, dstIp: di, srcPort: sp, dstPort: dp, payload });
    const d = parseUdp(f);
    if (d === undefined || d.srcIp !== si || d.dstIp !== di || d.srcPort !== sp || d.dstPort !== dp) return false;
    if (Buffer.compare(Buffer.from(d.payload), Buffer.from(payload)) !== 0) return false;
    // Flip one bit somewhere after the Ethernet header: the IP or UDP checksum must notice.
    const g = f.slice();
    const at = 14 + (k % (g.length - 14));
    g[at] ^= 1 << (k % 8);
    // One's-complement sums catch every single-bit error; the one way through is a UDP
    // checksum field that the flip turned into 0, which means "no checksum" (RFC 768).
    const csum = 14 + 20 + 6;
    const zeroed = (at === csum || at === csum + 1) && g[csum] === 0 && g[csum + 1] === 0;
    return parseUdp(g) === undefined || zeroed;
  }), { numRuns: 300 });
  t.pass('300 random datagrams');
});

t.test('ARP round-trips; non-frames parse as nothing', async (t) => {
  const a = { op: ARP_REQUEST, senderMac: new Uint8Array([1, 2, 3, 4, 5, 6]), senderIp: GUEST_IP, targetMac: new Uint8Array(6), targetIp: GATEWAY_IP };
  t.same(parseArp(buildArp(a, new Uint8Array(6).fill(255))), a);
  t.equal(parseUdp(new Uint8Array(10)), undefined);
  t.equal(parseArp(new Uint8Array(60)), undefined);
});

t.test('the virtual host answers ARP for its address and passes UDP to its handler', async (t) => {
  const host = new VirtualHost();
  const got: Uint8Array[] = [];
  host.guestSide.onReceive = (f) => got.push(f);
  const guestMac = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
  host.guestSide.send(buildArp({ op: ARP_REQUEST, senderMac: guestMac, senderIp: GUEST_IP, targetMac: new Uint8Array(6), targetIp: GATEWAY_IP }, new Uint8Array(6).fill(255)));
  const reply = parseArp(got[0]);
  t.equal(reply?.op, ARP_REPLY);
  t.same(reply?.senderMac, GATEWAY_MAC);
  t.same(host.guestMac, guestMac, 'learned the guest MAC');
  host.guestSide.send(buildArp({ op: ARP_REQUEST, senderMac: guestMac, senderIp: GUEST_IP, targetMac: new Uint8Array(6), targetIp: 0x0a000203 }, new Uint8Array(6).fill(255)));
  t.equal(got.length, 1, 'no answer for somebody else');

  const seen: [number, number, string][] = [];
  host.onDatagram = (from, to, p) => seen.push([from, to, Buffer.from(p).toString()]);
  host.guestSide.send(buildUdp({ srcMac: guestMac, dstMac: GATEWAY_MAC, srcIp: GUEST_IP, dstIp: GATEWAY_IP, srcPort: 6379, dstPort: 40000, payload: Buffer.from('+PONG\r\n') }));
  host.guestSide.send(buildUdp({ srcMac: guestMac, dstMac: GATEWAY_MAC, srcIp: GUEST_IP, dstIp: 0x0a000209, srcPort: 1, dstPort: 2, payload: Buffer.from('x') }));
  t.same(seen, [[6379, 40000, '+PONG\r\n']]);
  t.equal(host.counters.ignored, 2);

  host.send(40000, 6379, Buffer.from('*1\r\n$4\r\nPING\r\n'));
  const d = parseUdp(got[1]);
  t.equal(d?.dstIp, GUEST_IP);
  t.same(d?.dstMac, guestMac);
  t.equal(Buffer.from(d!.payload).toString(), '*1\r\n$4\r\nPING\r\n');
});
