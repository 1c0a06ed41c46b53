/**
 * udpecho over the whole stack, deterministically: the OS boots with a virtio-net device whose
 * far end is an in-process PeerEndpoint held by the test, which plays the gateway 10.0.2.2
 * with hand-built Ethernet/IPv4/UDP frames (devices/virtio/net/frames.ts). Frames are sent only
 * at safe points (after an exit was handled), so every run is the same.
 */
import t from 'tap';
import { peerPair } from '../../devices/virtio/net/backend.js';
import {
  ARP_REPLY, ARP_REQUEST, BROADCAST_MAC, buildArp, buildUdp, internetChecksum, parseArp, parseUdp, type UdpDatagram,
} from '../../devices/virtio/net/frames.js';
import { bootRom } from '../../firmware/build.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { osBootDisk } from '../../testing/os.js';
import { guestMac, NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP } from '../../vmm/platform.js';
import { Vm } from '../../vmm/vm.js';

const GUEST_MAC = guestMac(0);
const HOST_PORT = 40000;

/** A deterministic byte source (xorshift32). */
function payload(n: number, seed: number): Uint8Array {
  let x = seed | 1;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 255;
  });
}

const toGuest = (data: Uint8Array, o: Partial<UdpDatagram> = {}): Uint8Array => buildUdp({
  srcMac: NET_GATEWAY_MAC, dstMac: GUEST_MAC, srcIp: NET_GATEWAY_IP, dstIp: NET_GUEST_IP,
  srcPort: HOST_PORT, dstPort: 7, payload: data, ...o,
});

/** Recomputes the IPv4 header checksum after a header edit. */
function fixIpSum(f: Uint8Array): Uint8Array {
  f[24] = f[25] = 0;
  const c = internetChecksum(f, 14, 34);
  f[24] = c >> 8;
  f[25] = c & 255;
  return f;
}

interface EchoRun {
  console: string;
  exitCode: number;
  fromGuest: Uint8Array[];
  echoes: UdpDatagram[];
  arpReplies: ReturnType<typeof parseArp>[];
  gatewayRequests: number;
}

const good = [1, 2, 3, 64, 100, 511, 512, 1000, 1400, 1472].map((n, i) => payload(n, 1000 + i));
const marker = new TextEncoder().encode('marker');

function bad(): { name: string; frame: Uint8Array }[] {
  const ipSum = toGuest(payload(20, 1));
  ipSum[24] ^= 0xff;
  const udpSum = toGuest(payload(20, 2));
  udpSum[40] ^= 0x01;
  const frag = fixIpSum(toGuest(payload(20, 3)));
  frag[20] = 0x20; // more fragments
  fixIpSum(frag);
  return [
    { name: 'bad IPv4 header checksum', frame: ipSum },
    { name: 'bad UDP checksum', frame: udpSum },
    { name: 'a fragment', frame: frag },
    { name: 'another IP address', frame: toGuest(payload(20, 4), { dstIp: 0x0a000210 }) },
    { name: 'another MAC', frame: toGuest(payload(20, 5), { dstMac: Uint8Array.of(2, 0, 0, 0, 0, 9) }) },
    { name: 'a closed port', frame: toGuest(payload(20, 6), { dstPort: 9 }) },
  ];
}

function runEcho(iommu: 'off' | 'strict' | 'deferred' = 'off'): EchoRun {
  const { disk } = osBootDisk({ programs: ['init', 'udpecho'] });
  const [guestSide, host] = peerPair();
  const fromGuest: Uint8Array[] = [];
  host.onReceive = (f) => fromGuest.push(f);
  let text = '';
  let seen = 0;
  let phase = 0;
  let nextGood = 0;
  const echoes: UdpDatagram[] = [];
  const arpReplies: ReturnType<typeof parseArp>[] = [];
  let gatewayRequests = 0;
  // Runs after every exit: answers the guest and drives the conversation.
  const pump = (): void => {
    while (seen < fromGuest.length) {
      const f = fromGuest[seen++]!;
      const arp = parseArp(f);
      if (arp?.op === ARP_REQUEST && arp.targetIp === NET_GATEWAY_IP) {
        gatewayRequests++;
        host.send(buildArp({ op: ARP_REPLY, senderMac: NET_GATEWAY_MAC, senderIp: NET_GATEWAY_IP, targetMac: arp.senderMac, targetIp: arp.senderIp }, arp.senderMac));
      } else if (arp?.op === ARP_REPLY) {
        arpReplies.push(arp);
      } else {
        const d = parseUdp(f);
        if (d) {
          echoes.push(d);
          if (phase === 2 && nextGood < good.length) host.send(toGuest(good[nextGood++]!));
        }
      }
    }
    if (phase === 0 && text.includes('udpecho: listening on port 7\n')) {
      phase = 1;
      host.send(buildArp({ op: ARP_REQUEST, senderMac: NET_GATEWAY_MAC, senderIp: NET_GATEWAY_IP, targetMac: new Uint8Array(6), targetIp: NET_GUEST_IP }, BROADCAST_MAC));
      for (const b of bad()) host.send(b.frame);
      host.send(toGuest(marker));
      phase = 2;
    }
  };
  const vm = new Vm({
    firmware: bootRom(), cmdline: `iommu=${iommu} run=udpecho:7:${good.length + 1}`, iommu: iommu !== 'off',
    disks: [{ backend: new MemoryBackend(disk.length / 512, true, disk), readOnly: true }],
    nets: [guestSide], console: (b) => { text += String.fromCharCode(b); }, maxInstructions: 500_000_000,
    onExit: pump,
  });
  const r = vm.run();
  return { console: text, exitCode: r.stop === 'poweroff' ? r.exitCode : -1, fromGuest, echoes, arpReplies, gatewayRequests };
}

t.test('udpecho echoes every datagram intact and drops the bad ones', async (t) => {
  const r = runEcho();
  t.equal(r.exitCode, 0, r.console);
  t.match(r.console, /net: 10\.0\.2\.15\/24 gateway 10\.0\.2\.2 mac 52:54:00:12:34:56/);
  t.match(r.console, `udpecho: echoed ${good.length + 1} datagrams`);
  t.match(r.console, 'init: udpecho exited with status 0');
  t.equal(r.echoes.length, good.length + 1, 'one echo per good datagram, none for the bad ones');
  t.same(r.echoes[0]?.payload, marker, 'the first echo is the marker: everything before it was dropped');
  r.echoes.slice(1).forEach((d, i) => t.same(d.payload, good[i], `${good[i]!.length} bytes back intact`));
  for (const d of r.echoes) {
    t.same([d.srcIp, d.dstIp, d.srcPort, d.dstPort], [NET_GUEST_IP, NET_GATEWAY_IP, 7, HOST_PORT]);
    t.same(d.dstMac, NET_GATEWAY_MAC);
    t.same(d.srcMac, GUEST_MAC);
  }
  t.equal(r.gatewayRequests, 1, 'the gateway was resolved once');
  t.equal(r.arpReplies.length, 1, 'our ARP request was answered');
  t.same(r.arpReplies[0]?.senderMac, GUEST_MAC);
  t.equal(r.arpReplies[0]?.senderIp, NET_GUEST_IP);
});

t.test('the exchange is deterministic', async (t) => {
  const a = runEcho();
  const b = runEcho();
  t.equal(a.console, b.console);
  t.same(a.fromGuest.map((f) => Buffer.from(f).toString('hex')), b.fromGuest.map((f) => Buffer.from(f).toString('hex')));
});

for (const mode of ['strict', 'deferred'] as const) {
  t.test(`udpecho behind the IOMMU (iommu=${mode})`, async (t) => {
    const r = runEcho(mode);
    t.equal(r.exitCode, 0, 'exits 0');
    t.equal(r.echoes.length, good.length + 1);
    t.ok(r.echoes.slice(1).every((d, i) => Buffer.from(d.payload).equals(Buffer.from(good[i]!))), 'every echo intact');
  });
}
