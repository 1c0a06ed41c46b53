/**
 * Fault recording and the fault interrupt: what a record holds, one interrupt per pending
 * episode, masking (the event is held, not lost), and overflow when the ring is full.
 */
import t from 'tap';
import { FaultReason, REG_FECTL, FECTL_IM, FECTL_IP } from '../../devices/iommu/registers.js';
import { iommuBench, dataFrame, type IommuBench } from '../../testing/iommu-setup.js';
import { RO } from '../../testing/iommu-tables.js';

function poke(b: IommuBench, device: number, iova: number, write: boolean): void {
  try {
    if (write) b.iommu.dma(device).write32(iova, 0);
    else b.iommu.dma(device).read32(iova);
  } catch { /* the fault is what we are after */ }
}

t.test('a fault record holds device, IOVA page, access type and reason', async (t) => {
  const b = iommuBench();
  b.tables.map(7, 0x5000, dataFrame(0), RO);
  b.driver.unmask();
  poke(b, 7, 0x5abc, true);
  poke(b, 3, 0x1234, false);
  t.same(b.driver.pendingFaults(), [
    { index: 0, device: 7, iovaPage: 0x5000, write: true, reason: FaultReason.WRITE_DENIED },
    { index: 1, device: 3, iovaPage: 0x1000, write: false, reason: FaultReason.DEVICE_NOT_PRESENT },
  ]);
  t.same(b.driver.status(), { overflow: false, pending: true, index: 0 });
  t.same(b.iommu.faults().map((f) => f.device), [7, 3], 'the VMM sees the same records');
});

t.test('one interrupt per pending episode', async (t) => {
  const b = iommuBench();
  b.driver.unmask();
  poke(b, 1, 0, false);
  poke(b, 1, 0x1000, false);
  t.equal(b.irqs.count, 1, 'the second fault finds one pending: no new event');
  b.driver.drainFaults();
  t.same(b.driver.status(), { overflow: false, pending: false, index: 0 });
  poke(b, 1, 0x2000, false);
  t.equal(b.irqs.count, 2, 'after the handler cleared everything, the next fault interrupts again');
  t.equal(b.driver.status().index, 2, 'FRI points at the record that started the episode');
  t.equal(b.iommu.counters.faultInterrupts, 2);
});

t.test('masked: the event is held in IP and delivered on unmask', async (t) => {
  const b = iommuBench();
  t.equal(b.driver.read(REG_FECTL), FECTL_IM, 'masked from reset');
  poke(b, 1, 0, true);
  t.equal(b.irqs.count, 0);
  t.equal(b.driver.read(REG_FECTL), (FECTL_IM | FECTL_IP) >>> 0);
  b.driver.unmask();
  t.equal(b.irqs.count, 1, 'unmasking delivers the held event');
  t.equal(b.driver.read(REG_FECTL), 0);
  b.driver.mask();
  b.driver.unmask();
  t.equal(b.irqs.count, 1, 'only once');
});

t.test('a held event is forgotten once the faults are cleared while masked', async (t) => {
  const b = iommuBench();
  poke(b, 1, 0, true);
  b.driver.drainFaults();
  t.equal(b.driver.read(REG_FECTL), FECTL_IM, 'IP cleared with the last pending fault');
  b.driver.unmask();
  t.equal(b.irqs.count, 0);
});

t.test('a full ring sets PFO and drops further faults until the guest clears it', async (t) => {
  const b = iommuBench({ faultRecords: 2 });
  b.driver.unmask();
  for (let i = 0; i < 5; i++) poke(b, 1, i * 4096, false);
  t.same(b.driver.status(), { overflow: true, pending: true, index: 0 });
  t.equal(b.driver.pendingFaults().length, 2);
  t.equal(b.iommu.counters.faults, 5);
  t.equal(b.iommu.counters.faultsDropped, 3);
  t.equal(b.irqs.count, 1);
  b.driver.clearFault(0);
  poke(b, 1, 0x9000, false);
  t.equal(b.iommu.counters.faultsDropped, 4, 'PFO still set: dropped even though a record is free');
  b.driver.clearOverflow();
  poke(b, 1, 0xa000, false);
  t.same(b.driver.pendingFaults().map((f) => f.iovaPage), [0xa000, 0x1000], 'recorded in the freed slot');
  t.equal(b.irqs.count, 1, 'record 1 was still pending, so no new event');
});

t.test('fault records are read-only except F, which is write-1-to-clear', async (t) => {
  const b = iommuBench();
  poke(b, 4, 0x3000, false);
  const base = 0x100;
  for (const off of [0, 4, 8]) b.driver.write(base + off, 0xffffffff);
  b.driver.write(base + 12, 0x7fffffff);
  t.same(b.driver.pendingFaults(), [{ index: 0, device: 4, iovaPage: 0x3000, write: false, reason: FaultReason.DEVICE_NOT_PRESENT }]);
  b.driver.write(base + 12, 0x80000000);
  t.same(b.driver.pendingFaults(), []);
  t.equal(b.driver.read(base + 8), 4, 'the rest of a cleared record stays readable');
});
