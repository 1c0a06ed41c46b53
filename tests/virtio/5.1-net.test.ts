/**
 * virtio-net (virtio 1.x §5.1): MAC in config, the 12-byte header, rx/tx through an in-process
 * peer pair, bounded backlog, oversized frames, and the UDP backend.
 */
import t from 'tap';
import fc from 'fast-check';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { VirtioNet } from '../../devices/virtio/net/device.js';
import { peerPair, type NetBackend } from '../../devices/virtio/net/backend.js';
import { UdpBackend } from '../../devices/virtio/net/udp-backend.js';
import { NET_HDR_SIZE, VIRTIO_NET_F_MAC, RX_QUEUE } from '../../devices/virtio/net/config.js';
import { bit } from '../../devices/virtio/mmio/device.js';
import { CountingDma, guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { NetDriver } from '../../testing/net.js';

function nic(backend: NetBackend, opts: { mac?: string; rxBacklog?: number; queueSize?: number } = {}) {
  const tm = guestMemory({ size: 4 << 20 });
  let irqs = 0;
  const net = new VirtioNet({ backend, ...opts });
  const dma = new CountingDma(tm.dma);
  const dev = new VirtioMmio(net, { dma, irq: { raise: () => irqs++ } });
  const drv = new MmioDriver(dev, tm);
  drv.init();
  return { tm, dma, net, dev, drv, n: new NetDriver(drv), irqs: () => irqs };
}

t.test('§5.1.4 MAC address in configuration space', async (t) => {
  const [a] = peerPair();
  const { drv } = nic(a, { mac: '02:00:00:aa:bb:cc' });
  t.not(drv.features & bit(VIRTIO_NET_F_MAC), 0n);
  t.same([0, 1, 2, 3, 4, 5].map((i) => drv.config(i, 1)), [2, 0, 0, 0xaa, 0xbb, 0xcc]);
  t.equal(drv.config(6, 2), 1, 'link up');
  t.throws(() => new VirtioNet({ backend: a, mac: 'nope' }), /bad MAC address/);
});

t.test('§5.1.6 frames cross the peer pair with a 12-byte header; backlog bounded', async (t) => {
  const [a, b] = peerPair();
  const A = nic(a);
  const B = nic(b, { rxBacklog: 2 });
  const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
  A.n.send(frame);
  A.n.send(frame);
  A.n.send(frame);
  t.equal(B.net.backlogged, 2, 'no rx buffers: frames wait');
  t.equal(B.net.stats.rxDroppedNoBuffer, 1, 'beyond the bound: dropped and counted');
  B.n.postRx(4, 1526);
  const got = B.n.received(true);
  t.equal(got.length, 2);
  t.same(got[0]!.subarray(NET_HDR_SIZE), frame);
  t.same(got[0]!.subarray(0, NET_HDR_SIZE), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], 'no offloads, num_buffers 1');
  t.equal(A.n.reapTx(), 3);
  t.match(A.net.stats, { txFrames: 3, txBytes: 180 });
  t.match(B.net.stats, { rxFrames: 2, rxBytes: 120 });
});

t.test('frames before DRIVER_OK are dropped and counted', async (t) => {
  const [a, b] = peerPair();
  const net = new VirtioNet({ backend: b });
  a.send(new Uint8Array(10));
  t.equal(net.stats.rxDroppedNotReady, 1);
});

t.test('§5.1.6.3 property: frames arrive in order and intact; oversized ones are dropped and counted, never written past a buffer', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 64, max: 512 }),
      fc.integer({ min: 1, max: 16 }),
      (frames, bufSize, perRound) => {
        const [a, b] = peerPair();
        const A = nic(a, { queueSize: 64 });
        const B = nic(b, { queueSize: 64, rxBacklog: 1000 });
        const got: Uint8Array[] = [];
        for (let i = 0; i < frames.length; i += perRound) {
          B.n.postRx(perRound, bufSize);
          for (const f of frames.slice(i, i + perRound)) A.n.send(f);
          A.n.reapTx();
          got.push(...B.n.received());
        }
        B.n.postRx(64, bufSize);
        got.push(...B.n.received());
        const fits = frames.filter((f) => f.length + NET_HDR_SIZE <= bufSize);
        if (got.length !== fits.length) throw new Error(`received ${got.length} of ${fits.length} fitting frames`);
        got.forEach((g, i) => {
          if (g.length !== fits[i]!.length || g.some((x, j) => x !== fits[i]![j])) throw new Error(`frame ${i} differs`);
        });
        if (B.net.stats.rxDroppedOversize !== frames.length - fits.length) throw new Error(`oversize count ${B.net.stats.rxDroppedOversize}`);
        const q = B.drv.queues[RX_QUEUE]!;
        const allowed = [...B.n.posted, { addr: q.used, len: 6 + 8 * q.size }];
        for (const w of B.dma.written) {
          if (!allowed.some((r) => w.addr >= r.addr && w.addr + w.len <= r.addr + r.len)) {
            throw new Error(`device wrote ${w.len} bytes at 0x${w.addr.toString(16)}, outside the posted buffers and the used ring`);
          }
        }
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});

t.test('UDP backend: each frame one datagram on 127.0.0.1', async (t) => {
  const u1 = await UdpBackend.open({ remotePort: 0 });
  const u2 = await UdpBackend.open({ remotePort: u1.port });
  u1.connectTo(u2.port);
  t.teardown(() => { u1.close(); u2.close(); });
  const A = nic(u1);
  const B = nic(u2);
  B.n.postRx(8, 1526);
  const frames = [new Uint8Array(60).fill(1), new Uint8Array(1000).fill(2), new Uint8Array(14).fill(3)];
  for (const f of frames) A.n.send(f);
  const got: Uint8Array[] = [];
  for (let i = 0; i < 300 && got.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 10));
    got.push(...B.n.received());
  }
  t.same(got.map((g) => g.length), [60, 1000, 14]);
  t.equal(u1.sent, 3);
  u1.send(new Uint8Array(70000));
  t.equal(u1.sendErrors, 1, 'bigger than a datagram');
});
