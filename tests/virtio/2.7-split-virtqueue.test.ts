/**
 * Properties of the split virtqueue (virtio 1.x §2.7) as a device sees it, through the
 * virtio-mmio transport, for an echo device and for virtio-blk.
 */
import t from 'tap';
import fc from 'fast-check';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { INT_CONFIG_CHANGE, STATUS_DEVICE_NEEDS_RESET, type VirtioDevice } from '../../devices/virtio/mmio/device.js';
import { VirtioBlk } from '../../devices/virtio/blk/device.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { CHAIN_ERROR_POLICY } from '../../devices/virtio/queue/chain.js';
import { SplitQueue } from '../../devices/virtio/queue/queue.js';
import { descTableBytes } from '../../devices/virtio/queue/layout.js';
import { CountingDma, guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { MockQueue } from '../../testing/mock-queue.js';
import { chainBuffers, malformedChain, rawRing, validChain, writeMalformed, writeRawRing } from '../../testing/arbitraries.js';
import { EchoDevice } from './echo-device.js';

const SIZES = [2, 4, 8, 16];
const devices: [string, () => VirtioDevice][] = [
  ['echo', () => new EchoDevice()],
  ['virtio-blk', () => new VirtioBlk({ backend: new MemoryBackend(64), queueSize: 16 })],
];

function bringUp(make: () => VirtioDevice, size: number, start?: number) {
  const tm = guestMemory({ size: 1 << 20, start });
  const dma = new CountingDma(tm.dma);
  let irqs = 0;
  const dev = new VirtioMmio(make(), { dma, irq: { raise: () => irqs++ } });
  const drv = new MmioDriver(dev, tm);
  drv.init({ queueSizes: [size] });
  return { tm, dma, dev, drv, q: drv.queues[0]!, irqs: () => irqs };
}

for (const [name, make] of devices) {
  t.test(`§2.7 ${name}: any descriptor table and avail ring: processing ends in O(size) steps, throws nothing`, async (t) => {
    fc.assert(
      fc.property(fc.constantFrom(...SIZES).chain((size) => fc.tuple(fc.constant(size), rawRing(size, guestMemory()))), ([size, ring]) => {
        // Rings live above 0x40000; raw buffers point below it (or at the tables on purpose).
        const { dma, dev, drv, q } = bringUp(make, size, 0x40000);
        const uniqueHeads = { ...ring, heads: [...new Set(ring.heads)] };
        writeRawRing(q, uniqueHeads);
        const readsBefore = dma.reads;
        drv.kick(0, true);
        const steps = dma.reads - readsBefore;
        const heads = Math.min(uniqueHeads.heads.length, size) + 1;
        // Per chain: avail reads, at most 2*size descriptors of 4 reads, their buffers, the request header.
        if (steps > heads * (16 * size + 16)) throw new Error(`${steps} DMA reads for ${heads} heads, queue size ${size}`);
        const used = q.takeUsed();
        if (used.length !== dev.stats.requests) throw new Error(`used.idx moved ${used.length}, device completed ${dev.stats.requests}`);
        const ids = used.map((u) => u.id);
        if (new Set(ids).size !== ids.length) throw new Error(`a head returned twice: ${ids}`);
        if (ids.some((id) => id >= size)) throw new Error(`an out-of-range head returned: ${ids}`);
      }),
      { numRuns: 300 },
    );
    t.pass();
  });

  t.test(`§2.7.4/§2.7.8 ${name}: valid chains: each head used once, used.idx advances by their number, readable buffers and tables never written`, async (t) => {
    fc.assert(
      fc.property(fc.constantFrom(8, 16), fc.array(validChain({ maxBuffers: 3 }), { minLength: 1, maxLength: 16 }), (size, chains) => {
        const { tm, dma, drv, q } = bringUp(make, size);
        const added = [];
        for (const c of chains) {
          const a = q.add(chainBuffers(c), { indirect: c.indirect });
          if (a === undefined) break;
          added.push(a);
        }
        const writableRanges = added.flatMap((a) => a.buffers.filter((b) => b.writable));
        const before = tm.snapshot();
        const usedBefore = q.usedIdx;
        dma.written.length = 0;
        drv.kick(0, true);
        const used = q.takeUsed();
        if (used.length !== added.length || ((q.usedIdx - usedBefore) & 0xffff) !== added.length) throw new Error(`used ${used.length} of ${added.length}`);
        const heads = used.map((u) => u.id).sort((a, b) => a - b);
        const want = added.map((a) => a.head).sort((a, b) => a - b);
        if (heads.join() !== want.join()) throw new Error(`heads ${heads} returned, ${want} added`);
        const usedRing = { addr: q.used, len: 6 + 8 * size };
        for (const w of dma.written) {
          const ok = [...writableRanges, usedRing].some((r) => w.addr >= r.addr && w.addr + w.len <= r.addr + r.len);
          if (!ok) throw new Error(`device wrote ${w.len} bytes at 0x${w.addr.toString(16)}, outside writable buffers and the used ring`);
        }
        const after = tm.mem.ram;
        for (let i = q.desc; i < q.desc + descTableBytes(size); i++) if (after[i] !== before[i]) throw new Error('descriptor table written');
        for (const a of added) for (const b of a.buffers.filter((b) => !b.writable)) {
          for (let i = b.addr; i < b.addr + b.len; i++) if (after[i] !== before[i]) throw new Error('readable buffer written');
        }
      }),
      { numRuns: 200 },
    );
    t.pass();
  });

  t.test(`§2.7.5 ${name}: each malformed chain is refused as documented (length 0, or NEEDS_RESET + config interrupt)`, async (t) => {
    fc.assert(
      fc.property(fc.constantFrom(...SIZES).chain((size) => fc.tuple(fc.constant(size), malformedChain(size))), ([size, m]) => {
        const { drv, dev, q, irqs } = bringUp(make, size);
        writeMalformed(q, m);
        drv.kick(0, true);
        const used = q.takeUsed();
        if (CHAIN_ERROR_POLICY[m.expect] === 'return') {
          if (used.length !== 1 || used[0]!.len !== 0) throw new Error(`${m.expect}: expected the head back with length 0, got ${JSON.stringify(used)}`);
          if (dev.status & STATUS_DEVICE_NEEDS_RESET) throw new Error(`${m.expect}: unexpected NEEDS_RESET`);
        } else {
          if (used.length !== 0) throw new Error(`${m.expect}: chain returned despite NEEDS_RESET`);
          if (!(dev.status & STATUS_DEVICE_NEEDS_RESET) || !(dev.interruptStatus & INT_CONFIG_CHANGE) || irqs() !== 1) {
            throw new Error(`${m.expect}: expected NEEDS_RESET and one configuration interrupt`);
          }
        }
        if (!dev.stats.lastError?.includes(m.expect)) throw new Error(`lastError ${dev.stats.lastError} does not name ${m.expect}`);
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}

t.test('§2.7.5 parseChain reports exactly the injected defect', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...SIZES).chain((size) => fc.tuple(fc.constant(size), malformedChain(size))), ([size, m]) => {
      const tm = guestMemory();
      const mq = new MockQueue(tm, size);
      const q = Object.assign(new SplitQueue(size), { descTable: mq.desc, availRing: mq.avail, usedRing: mq.used, indirect: true, ready: true });
      writeMalformed(mq, m);
      const r = q.pop(tm.dma);
      if (r === undefined || r.ok || r.error.kind !== m.expect) throw new Error(`expected ${m.expect}, got ${r === undefined ? 'nothing' : r.ok ? 'a chain' : r.error.kind}`);
    }),
    { numRuns: 500 },
  );
  t.pass();
});
