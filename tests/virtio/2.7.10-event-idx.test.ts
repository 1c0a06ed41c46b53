/**
 * Notification suppression (virtio 1.x §2.7.7 without and §2.7.10 with VIRTIO_F_EVENT_IDX): one
 * interrupt decision per batch, taken exactly as the driver's used_event / flags ask.
 */
import t from 'tap';
import fc from 'fast-check';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { VIRTIO_F_EVENT_IDX, bit } from '../../devices/virtio/mmio/device.js';
import { guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { EchoDevice } from './echo-device.js';

function bringUp(eventIdx: boolean) {
  const tm = guestMemory();
  let irqs = 0;
  const dev = new VirtioMmio(new EchoDevice(), { dma: tm.dma, irq: { raise: () => irqs++ } });
  const drv = new MmioDriver(dev, tm);
  drv.init({ accept: (f) => (eventIdx ? f : f & ~bit(VIRTIO_F_EVENT_IDX)) });
  return { dev, drv, q: drv.queues[0]!, irqs: () => irqs };
}

const batch = fc.record({ chains: fc.integer({ min: 1, max: 8 }), eventOffset: fc.integer({ min: -4, max: 12 }), noInterrupt: fc.boolean() });

t.test('§2.7.10 with EVENT_IDX: a batch interrupts iff used.idx passes used_event', async (t) => {
  fc.assert(
    fc.property(fc.array(batch, { minLength: 1, maxLength: 20 }), (batches) => {
      const { drv, q, irqs, dev } = bringUp(true);
      let usedIdx = 0;
      for (const b of batches) {
        const event = (usedIdx + b.eventOffset) & 0xffff;
        q.usedEvent = event;
        q.noInterrupt = b.noInterrupt; // ignored under EVENT_IDX (§2.7.10)
        for (let i = 0; i < b.chains; i++) q.add([{ len: 4, data: new Uint8Array(4) }, { len: 4, writable: true }]);
        const before = irqs();
        drv.kick(0, true);
        q.takeUsed();
        // used.idx goes usedIdx -> usedIdx + chains; the event fires if it wrote index `event`.
        const want = ((event - usedIdx) & 0xffff) < b.chains;
        usedIdx = (usedIdx + b.chains) & 0xffff;
        if ((irqs() > before) !== want) throw new Error(`used_event ${event}, used.idx ${usedIdx - b.chains} -> ${usedIdx}: interrupt ${irqs() > before}`);
        if (irqs() - before > 1) throw new Error('more than one interrupt for one batch');
        if (q.availEvent !== usedIdx) throw new Error(`avail_event ${q.availEvent}, expected ${usedIdx}`);
      }
      if (dev.stats.usedInterrupts + dev.stats.interruptsSuppressed !== batches.length) throw new Error('one decision per batch');
    }),
    { numRuns: 300 },
  );
  t.pass();
});

t.test('§2.7.7 without EVENT_IDX: a batch interrupts unless VIRTQ_AVAIL_F_NO_INTERRUPT', async (t) => {
  fc.assert(
    fc.property(fc.array(batch, { minLength: 1, maxLength: 20 }), (batches) => {
      const { drv, q, irqs } = bringUp(false);
      for (const b of batches) {
        q.noInterrupt = b.noInterrupt;
        for (let i = 0; i < b.chains; i++) q.add([{ len: 4, data: new Uint8Array(4) }, { len: 4, writable: true }]);
        const before = irqs();
        drv.kick(0);
        q.takeUsed();
        if (irqs() - before !== (b.noInterrupt ? 0 : 1)) throw new Error(`noInterrupt ${b.noInterrupt}: ${irqs() - before} interrupts`);
      }
    }),
    { numRuns: 200 },
  );
  t.pass();
});

t.test('§2.7.10 driver side: kicks are suppressed until avail.idx passes avail_event', async (t) => {
  const { drv, q, dev } = bringUp(true);
  q.add([{ len: 4 }]);
  t.ok(drv.kick(0), 'first chain: kick');
  t.equal(q.availEvent, 1, 'device asks for a kick when the next chain comes');
  q.add([{ len: 4 }]);
  t.ok(drv.kick(0));
  q.add([{ len: 4 }]);
  q.add([{ len: 4 }]);
  t.ok(drv.kick(0), 'two chains published before one kick: one notification');
  t.equal(dev.stats.notifications, 3);
  t.equal(q.suppressedKicks, 0);
});
