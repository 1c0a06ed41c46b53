import t from 'tap';
import { SplitQueue } from '../../devices/virtio/queue/queue.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../devices/virtio/queue/layout.js';
import { guestMemory } from '../../testing/memory.js';
import { MockQueue } from '../../testing/mock-queue.js';

function setup(size = 8, eventIdx = false) {
  const tm = guestMemory();
  const mq = new MockQueue(tm, size, { eventIdx });
  const q = new SplitQueue(size);
  q.descTable = mq.desc;
  q.availRing = mq.avail;
  q.usedRing = mq.used;
  q.eventIdx = eventIdx;
  q.indirect = true;
  q.ready = true;
  return { tm, mq, q, dma: tm.dma };
}

t.test('pops a direct chain with readable then writable buffers', async (t) => {
  const { mq, q, dma } = setup();
  const { head, buffers } = mq.add([{ len: 16 }, { len: 100 }, { len: 1, writable: true }])!;
  const r = q.pop(dma)!;
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.chain.head, head);
  t.same(r.chain.readable, buffers.slice(0, 2).map((b) => ({ addr: b.addr, len: b.len })));
  t.equal(r.chain.readableBytes, 116);
  t.equal(r.chain.writableBytes, 1);
  t.equal(q.pop(dma), undefined, 'nothing more available');
});

t.test('pops an indirect chain', async (t) => {
  const { mq, q, dma } = setup();
  mq.add([{ len: 16 }, { len: 8, writable: true }, { len: 1, writable: true }], { indirect: true });
  const r = q.pop(dma)!;
  t.ok(r.ok && r.chain.indirect && r.chain.readable.length === 1 && r.chain.writable.length === 2);
});

t.test('structured errors, never a throw', async (t) => {
  const cases: [string, (mq: MockQueue, tm: ReturnType<typeof guestMemory>) => void][] = [
    ['chain-too-long', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 4, flags: VIRTQ_DESC_F_NEXT, next: 1 }); mq.writeDesc(1, { addr: 0x100, len: 4, flags: VIRTQ_DESC_F_NEXT, next: 0 }); mq.pushAvail(0); }],
    ['head-out-of-range', (mq) => mq.pushAvail(8)],
    ['next-out-of-range', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 4, flags: VIRTQ_DESC_F_NEXT, next: 9 }); mq.pushAvail(0); }],
    ['readable-after-writable', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 4, flags: VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, next: 1 }); mq.writeDesc(1, { addr: 0x100, len: 4, flags: 0, next: 0 }); mq.pushAvail(0); }],
    ['length-overflow', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 0xffffffff, flags: VIRTQ_DESC_F_NEXT, next: 1 }); mq.writeDesc(1, { addr: 0x100, len: 1, flags: 0, next: 0 }); mq.pushAvail(0); }],
    ['indirect-bad-length', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 20, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }); mq.pushAvail(0); }],
    ['indirect-too-long', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 16 * 9, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }); mq.pushAvail(0); }],
    ['indirect-with-next', (mq) => { mq.writeDesc(0, { addr: 0x100, len: 16, flags: VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, next: 1 }); mq.pushAvail(0); }],
    ['nested-indirect', (mq, tm) => { const tab = tm.alloc(16); mq.writeDescAt(tab, { addr: tab, len: 16, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }); mq.writeDesc(0, { addr: tab, len: 16, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }); mq.pushAvail(0); }],
    ['dma-fault', (mq) => { mq.writeDesc(0, { addr: 0x7fff0000, len: 16, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }); mq.pushAvail(0); }],
    ['avail-index-jump', (mq) => mq.setAvailIdx(9)],
  ];
  for (const [kind, build] of cases) {
    const { tm, mq, q, dma } = setup();
    build(mq, tm);
    const r = q.pop(dma);
    t.equal(r?.ok === false ? r.error.kind : 'ok', kind, kind);
  }
  const { mq, q, dma } = setup();
  q.indirect = false;
  mq.add([{ len: 4 }], { indirect: true });
  const r = q.pop(dma)!;
  t.equal(!r.ok && r.error.kind, 'indirect-not-negotiated');
});

t.test('used ring: batched completions, one decision per batch (§2.7.7.2)', async (t) => {
  const { mq, q, dma } = setup();
  for (let i = 0; i < 3; i++) mq.add([{ len: 4, writable: true }]);
  for (let r = q.pop(dma); r !== undefined; r = q.pop(dma)) if (r.ok) q.addUsed(dma, r.chain.head, 4);
  t.equal(mq.usedIdx, 3);
  t.equal(q.needsNotification(dma), true);
  t.equal(q.needsNotification(dma), false, 'nothing new since the last decision');
  t.equal(mq.takeUsed().length, 3);
  mq.noInterrupt = true;
  mq.add([{ len: 4 }]);
  const r = q.pop(dma)!;
  if (r.ok) q.addUsed(dma, r.chain.head, 0);
  t.equal(q.needsNotification(dma), false, 'VIRTQ_AVAIL_F_NO_INTERRUPT honoured');
});

t.test('EVENT_IDX: used_event and avail_event (§2.7.10)', async (t) => {
  const { mq, q, dma } = setup(8, true);
  mq.usedEvent = 2; // interrupt when used.idx passes 2, i.e. after the third completion
  for (let i = 0; i < 4; i++) mq.add([{ len: 4, writable: true }]);
  const complete = () => { const r = q.pop(dma)!; if (r.ok) q.addUsed(dma, r.chain.head, 1); };
  complete(); complete();
  t.equal(q.needsNotification(dma), false, 'used.idx 0 -> 2 does not cross used_event 2');
  complete();
  t.equal(q.needsNotification(dma), true, 'used.idx 2 -> 3 crosses it');
  complete();
  t.equal(q.needsNotification(dma), false);
  t.equal(q.enableNotification(dma), false);
  t.equal(mq.availEvent, 4, 'device asks to be kicked for the next chain');
  t.equal(mq.shouldKick(), false, 'the device already consumed the four published chains');
  mq.add([{ len: 4 }]);
  t.equal(mq.shouldKick(), true, 'avail.idx 4 -> 5 crosses avail_event 4');
  mq.add([{ len: 4 }]);
  t.equal(mq.shouldKick(), false, 'avail_event not moved: suppressed');
  t.equal(mq.suppressedKicks, 2);
});

t.test('§2.7.10 needEvent across the 2^16 wrap: fires iff the event index was written', async (t) => {
  const fc = (await import('fast-check')).default;
  const { needEvent } = await import('../../devices/virtio/queue/layout.js');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x8000 }), fc.integer({ min: 0, max: 0xffff }), (old, n, event) => {
      const now = (old + n) & 0xffff;
      const written = ((event - old) & 0xffff) < n; // indices old .. old+n-1 were written
      return needEvent(event, now, old) === written;
    }),
    { numRuns: 5000 },
  );
  t.pass();
});
