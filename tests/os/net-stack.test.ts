/**
 * The kernel's UDP/IPv4 stack (guest-os/kernel/net/) on its own: compiled with a harness that
 * stands in for the rest of the kernel (tests/os/net-harness.c), run in the VM, fed hand-built
 * Ethernet frames and checked on the frames it sends and on its drop counters. Deterministic,
 * and independent of the kernel core and the drivers.
 */
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { bootRom } from '../../firmware/build.js';
import { build } from '../../toolchain/cc/driver.js';
import { projectFile } from '../../vmm/paths.js';
import { Vm } from '../../vmm/vm.js';
import {
  ARP_REPLY, ARP_REQUEST, BROADCAST_MAC, buildArp, buildUdp, internetChecksum, parseArp, parseUdp,
} from '../../devices/virtio/net/frames.js';

const OUR_MAC = new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const GW_MAC = new Uint8Array([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
const PEER_MAC = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x00, 0x09]);
const OUR_IP = 0x0a00020f;
const GW_IP = 0x0a000202;
const PEER_IP = 0x0a000209;

interface Run {
  tx: Uint8Array[];
  lines: string[];
  stats: Record<string, number>;
}

const netDir = projectFile('guest-os', 'kernel', 'net');
const netSources = ['eth.c', 'arp.c', 'ip.c', 'udp.c'].map((f) => ({
  path: `guest-os/kernel/net/${f}`, text: readFileSync(`${netDir}/${f}`, 'utf8'),
}));
const harness = readFileSync(projectFile('tests', 'os', 'net-harness.c'), 'utf8');
const firmware = bootRom();

/** Runs `scenario` (the body of a C function) with these batches of frames to receive. */
function run(batches: Uint8Array[][], scenario: string): Run {
  const frames = batches.flatMap((b, i) => (i === 0 ? b : [new Uint8Array(0), ...b]));
  const bytes = frames.flatMap((f) => Array.from(f));
  const prelude = `#include <stdint.h>
static const unsigned char RX_DATA[] = { ${bytes.length ? bytes.join(',') : '0'} };
static const unsigned RX_LEN[] = { ${frames.length ? frames.map((f) => f.length).join(',') : '0'} };
#define RX_COUNT ${frames.length}u
`;
  const text = `${prelude}${harness}\nstatic void scenario(void) {\n${scenario}\n}\n`;
  const { image } = build([...netSources, { path: 'tests/os/net-harness.c', text }], {
    includeDirs: [projectFile('guest-os', 'kernel', 'include'), netDir, projectFile('guest-os', 'include')],
  });
  let out = '';
  const vm = new Vm({ kernel: image, firmware, console: (b) => { out += String.fromCharCode(b); }, maxInstructions: 200_000_000 });
  const r = vm.run();
  if (r.stop !== 'poweroff' || r.exitCode !== 0) throw new Error(`harness: ${r.message}\n${out}`);
  const lines = out.split('\n').filter((l) => l.length > 0);
  const tx = lines.filter((l) => l.startsWith('TX ')).map((l) => Uint8Array.from(Buffer.from(l.slice(3), 'hex')));
  const statLine = lines.filter((l) => l.startsWith('STATS ')).at(-1) ?? '';
  const stats: Record<string, number> = {};
  for (const kv of statLine.slice(6).split(' ')) {
    const [k, v] = kv.split('=');
    stats[k!] = Number(v);
  }
  return { tx, lines: lines.filter((l) => !l.startsWith('TX ')), stats };
}

const ECHO = `
    static uint8_t buf[2048];
    int s = udp_bind(7);
    printf("BIND %d\\n", s);
    for (;;) {
        uint32_t ip;
        unsigned port;
        int n = udp_recv(s, &ip, &port, buf, sizeof buf);
        printf("RECV %d from %08x:%u\\n", n, ip, port);
        printf("SEND %d\\n", udp_send(s, ip, port, buf, (unsigned)n));
    }`;

const gwArpReply = (): Uint8Array =>
  buildArp({ op: ARP_REPLY, senderMac: GW_MAC, senderIp: GW_IP, targetMac: OUR_MAC, targetIp: OUR_IP }, OUR_MAC);

const toUs = (payload: Uint8Array, o: Partial<{ srcIp: number; srcPort: number; dstIp: number; dstPort: number; srcMac: Uint8Array; dstMac: Uint8Array }> = {}): Uint8Array =>
  buildUdp({
    srcMac: o.srcMac ?? GW_MAC, dstMac: o.dstMac ?? OUR_MAC, srcIp: o.srcIp ?? GW_IP, dstIp: o.dstIp ?? OUR_IP,
    srcPort: o.srcPort ?? 5555, dstPort: o.dstPort ?? 7, payload,
  });

const bytes = (n: number, seed = n): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + 3) & 255);

const udpOut = (r: Run): NonNullable<ReturnType<typeof parseUdp>>[] =>
  r.tx.map(parseUdp).filter((d): d is NonNullable<typeof d> => d !== undefined);

t.test('at start-up the stack asks for the gateway, and answers ARP for 10.0.2.15 only', async (t) => {
  const asker = new Uint8Array([0x02, 1, 2, 3, 4, 5]);
  const r = run([[
    buildArp({ op: ARP_REQUEST, senderMac: asker, senderIp: 0x0a000263, targetMac: new Uint8Array(6), targetIp: OUR_IP }, BROADCAST_MAC),
    buildArp({ op: ARP_REQUEST, senderMac: asker, senderIp: 0x0a000263, targetMac: new Uint8Array(6), targetIp: 0x0a000210 }, BROADCAST_MAC),
    new Uint8Array(10), // runt: not even an Ethernet header
  ]], 'for (;;) sleep_on(NULL);');
  t.match(r.lines[0], /^net: 10\.0\.2\.15\/24 gateway 10\.0\.2\.2 mac 52:54:00:12:34:56$/);
  t.equal(r.tx.length, 2, 'the gateway request and one reply');
  t.equal(r.tx[0]!.length, 60, 'padded to the Ethernet minimum');
  t.same(r.tx[0]!.slice(0, 6), BROADCAST_MAC);
  const req = parseArp(r.tx[0]!)!;
  t.same({ op: req.op, senderIp: req.senderIp, targetIp: req.targetIp }, { op: ARP_REQUEST, senderIp: OUR_IP, targetIp: GW_IP });
  t.same(req.senderMac, OUR_MAC);
  const reply = parseArp(r.tx[1]!)!;
  t.same(r.tx[1]!.slice(0, 6), asker, 'unicast to the asker');
  t.same({ op: reply.op, senderIp: reply.senderIp, targetIp: reply.targetIp }, { op: ARP_REPLY, senderIp: OUR_IP, targetIp: 0x0a000263 });
  t.same(reply.senderMac, OUR_MAC);
  t.same(reply.targetMac, asker);
  t.equal(r.stats.arp_requests_answered, 1);
  t.equal(r.stats.rx_short, 1);
});

t.test('udp echo: datagrams of every size come back intact, checksummed, to the sender', async (t) => {
  const sizes = [0, 1, 2, 3, 17, 64, 511, 512, 1000, 1400, 1471, 1472];
  const r = run([[gwArpReply()], ...sizes.map((n) => [toUs(bytes(n))])], ECHO);
  t.equal(r.lines[1], 'BIND 0');
  const out = udpOut(r);
  t.equal(out.length, sizes.length, 'one echo per datagram');
  out.forEach((d, i) => {
    t.same(d.payload, bytes(sizes[i]!), `payload of ${sizes[i]} bytes`);
    t.same(d.dstMac, GW_MAC);
    t.same(d.srcMac, OUR_MAC);
    t.same([d.srcIp, d.dstIp, d.srcPort, d.dstPort], [OUR_IP, GW_IP, 7, 5555]);
  });
  // parseUdp accepts a zero UDP checksum too: we always compute one.
  for (const f of r.tx.filter((f) => parseUdp(f))) t.not(new DataView(f.buffer).getUint16(14 + 20 + 6), 0);
  t.equal(r.stats.arp_requests_sent, 1, 'the gateway was resolved once, at start-up');
  t.equal(r.stats.udp_delivered, sizes.length);
  t.equal(r.stats.udp_sent, sizes.length);
});

t.test('random payloads are echoed intact', async (t) => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 1472 }), { minLength: 1, maxLength: 6 }),
    fc.integer({ min: 1, max: 65535 }), (payloads, srcPort) => {
      const r = run([[gwArpReply()], payloads.map((p) => toUs(p, { srcPort }))], ECHO); // at most 6: fits the queue
      const out = udpOut(r);
      return out.length === payloads.length &&
        out.every((d, i) => Buffer.from(d.payload).equals(Buffer.from(payloads[i]!)) && d.dstPort === srcPort);
    }), { numRuns: 5 });
  t.pass('echoed');
});

t.test('bad frames are dropped and counted', async (t) => {
  const good = toUs(bytes(10));
  const badIpSum = good.slice();
  badIpSum[14 + 10] ^= 0x55;
  const badUdpSum = good.slice();
  badUdpSum[14 + 20 + 6] ^= 0x01;
  const noUdpSum = good.slice();
  noUdpSum[14 + 20 + 6] = 0;
  noUdpSum[14 + 20 + 7] = 0;
  const withIpHeaderFix = (f: Uint8Array): Uint8Array => {
    f[24] = 0;
    f[25] = 0;
    const c = internetChecksum(f, 14, 14 + (f[14]! & 15) * 4);
    f[24] = c >> 8;
    f[25] = c & 255;
    return f;
  };
  const fragment = withIpHeaderFix((() => { const f = good.slice(); f[20] = 0x20; f[21] = 0; return f; })()); // MF
  const offset = withIpHeaderFix((() => { const f = good.slice(); f[20] = 0; f[21] = 0x10; return f; })());
  const options = (() => {
    // IHL 6: a 4-byte NOP option between the header and UDP.
    const f = new Uint8Array(good.length + 4);
    f.set(good.subarray(0, 34));
    f.set([1, 1, 1, 1], 34);
    f.set(good.subarray(34), 38);
    f[14] = 0x46;
    new DataView(f.buffer).setUint16(16, good.length - 14 + 4);
    return withIpHeaderFix(f);
  })();
  const truncated = good.slice(0, good.length - 4); // the IP total length says more
  const tooLong = toUs(bytes(1500)); // a jumbo frame's worth: more than an MTU
  const otherIp = toUs(bytes(10), { dstIp: 0x0a000210 });
  const otherMac = toUs(bytes(10), { dstMac: new Uint8Array([2, 0, 0, 0, 0, 0x77]) });
  const noPort = toUs(bytes(10), { dstPort: 9 });
  const tcp = withIpHeaderFix((() => { const f = good.slice(); f[23] = 6; return f; })());
  const ipv6 = (() => { const f = good.slice(); f[12] = 0x86; f[13] = 0xdd; return f; })();
  const r = run([[gwArpReply()], [badIpSum, badUdpSum, fragment, offset, options, truncated, tooLong, otherIp, otherMac, noPort, tcp, ipv6, noUdpSum]], ECHO);
  const out = udpOut(r);
  t.equal(out.length, 1, 'only the datagram without a checksum is echoed');
  t.same(out[0]?.payload, bytes(10));
  t.match(r.stats, {
    ip_bad_checksum: 1, udp_bad_checksum: 1, ip_fragments: 2, ip_options: 1, ip_bad_header: 1, udp_bad_length: 1,
    ip_not_for_us: 1, rx_not_for_us: 1, udp_no_port: 1, ip_proto: 1, rx_ethertype: 1, udp_delivered: 1,
  });
});

t.test('off-link addresses go through the gateway; on-link ones are resolved with ARP', async (t) => {
  const peerReply = buildArp({ op: ARP_REPLY, senderMac: PEER_MAC, senderIp: PEER_IP, targetMac: OUR_MAC, targetIp: OUR_IP }, OUR_MAC);
  const r = run([
    [gwArpReply()],
    [toUs(bytes(5), { srcIp: 0x08080808, srcPort: 53 })],
    [toUs(bytes(6), { srcIp: PEER_IP, srcMac: PEER_MAC, srcPort: 4000 })],
    [peerReply],
  ], ECHO);
  const out = udpOut(r);
  t.equal(out.length, 2);
  t.same([out[0]!.dstIp, out[0]!.dstPort], [0x08080808, 53]);
  t.same(out[0]!.dstMac, GW_MAC, '8.8.8.8 via the gateway');
  t.same([out[1]!.dstIp, out[1]!.dstPort], [PEER_IP, 4000]);
  t.same(out[1]!.dstMac, PEER_MAC, 'a neighbour directly');
  const arps = r.tx.map(parseArp).filter((a) => a !== undefined);
  t.same(arps.map((a) => a!.targetIp), [GW_IP, PEER_IP], 'asked for the gateway, then for the neighbour');
});

t.test('a neighbour that never answers: three requests, then the send fails', async (t) => {
  const r = run([[gwArpReply()], [toUs(bytes(5), { srcIp: PEER_IP, srcMac: PEER_MAC })]], ECHO);
  t.equal(udpOut(r).length, 0);
  t.equal(r.tx.map(parseArp).filter((a) => a?.targetIp === PEER_IP).length, 3);
  t.ok(r.lines.includes('SEND -5'), 'udp_send returns -E_IO');
  t.equal(r.stats.arp_unresolved, 1);
  t.equal(r.stats.ms, 300, '100 ms per try, in virtual time');
});

t.test('a full socket queue drops and counts; the queued datagrams are still delivered', async (t) => {
  const burst = Array.from({ length: 12 }, (_, i) => toUs(bytes(20 + i)));
  const r = run([[gwArpReply()], burst], ECHO);
  const out = udpOut(r);
  t.equal(out.length, 8, 'the queue holds 8');
  out.forEach((d, i) => t.same(d.payload, bytes(20 + i)));
  t.equal(r.stats.udp_queue_full, 4);
});

t.test('sockets: ports, ephemeral ports, limits, loopback, closing', async (t) => {
  const r = run([[gwArpReply()]], `
    static uint8_t buf[1600];
    uint32_t ip;
    unsigned port;
    int a = udp_bind(7), b = udp_bind(7), c = udp_bind(0), d = udp_bind(0), e = udp_bind(70000);
    int n;
    printf("BINDS %d %d %d %d %d\\n", a, b, c, d, e);
    printf("BIG %d\\n", udp_send(a, NET_GATEWAY_IP, 9, buf, 1473));
    printf("BADSOCK %d %d\\n", udp_send(9, NET_GATEWAY_IP, 9, buf, 1), udp_send(-1, NET_GATEWAY_IP, 9, buf, 1));
    printf("PORT0 %d\\n", udp_send(a, NET_GATEWAY_IP, 0, buf, 1));
    printf("BCAST %d\\n", udp_send(a, 0x0a0002ff, 9, buf, 1));
    memcpy(buf, "loop", 4);
    printf("LOOP %d\\n", udp_send(c, NET_GUEST_IP, 7, buf, 4));
    memset(buf, 0, 8);
    n = udp_recv(a, &ip, &port, buf, 3);
    printf("GOT %d %08x %u %.3s\\n", n, ip, port, (char *)buf);
    udp_close_owned_by(NULL);
    printf("AFTER %d %d\\n", udp_bind(7), udp_recv(a, &ip, &port, buf, 3));
    while (udp_bind(0) >= 0) {}
    printf("FULL %d\\n", udp_bind(0));
  `);
  t.ok(r.lines.includes('BINDS 0 -98 1 2 -22'), r.lines.join('\n'));
  t.ok(r.lines.includes('BIG -90'));
  t.ok(r.lines.includes('BADSOCK -9 -9'));
  t.ok(r.lines.includes('PORT0 -22'));
  t.ok(r.lines.includes('BCAST -22'));
  t.ok(r.lines.includes('LOOP 4'));
  t.ok(r.lines.includes('GOT 3 0a00020f 49152 loo'), 'truncated to the buffer, from the ephemeral port');
  t.ok(r.lines.includes('AFTER 0 -9'), 'closing frees the ports; a closed socket is a bad one');
  t.ok(r.lines.includes('FULL -28'));
});
