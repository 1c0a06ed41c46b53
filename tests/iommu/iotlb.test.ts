/**
 * The IOTLB's bounds and bookkeeping: a fixed capacity, first-in first-out replacement (so
 * runs are reproducible), and the counters a cost model charges.
 */
import t from 'tap';
import { Iotlb } from '../../devices/iommu/iotlb.js';
import { iommuBench, dataFrame } from '../../testing/iommu-setup.js';

t.test('bounded, first-in first-out', async (t) => {
  const tlb = new Iotlb(3);
  t.notOk(tlb.insert(1, 0x1000));
  t.notOk(tlb.insert(2, 0x2000));
  t.notOk(tlb.insert(3, 0x3000));
  t.equal(tlb.get(1), 0x1000, 'a hit does not refresh the entry');
  t.ok(tlb.insert(4, 0x4000), 'the fourth evicts');
  t.equal(tlb.get(1), undefined, 'the oldest went first');
  t.notOk(tlb.insert(2, 0x2003), 'refilling a held key evicts nothing');
  t.same(tlb.entries().map((e) => e.page), [3, 4, 2], 'and moves it to the back');
  t.throws(() => new Iotlb(0));
});

t.test('counters: translations, hits, misses, walks, table reads, evictions', async (t) => {
  const b = iommuBench({ iotlbEntries: 2 });
  for (let p = 0; p < 3; p++) b.tables.map(0, p * 4096, dataFrame(p));
  const dma = b.iommu.dma(0);
  dma.read(0, 4);
  dma.read(0, 4);
  dma.read(4096, 4);
  dma.read(8192, 4); // evicts page 0
  dma.read(0, 4);
  const c = b.iommu.counters;
  t.equal(c.translations, 5);
  t.equal(c.iotlbHits, 1);
  t.equal(c.iotlbMisses, 4);
  t.equal(c.pageWalks, 4);
  t.equal(c.tableReads, 12, 'a walk reads the device entry, the directory entry and the table entry');
  t.equal(c.iotlbEvictions, 2);
  t.equal(b.iommu.iotlb.size, 2);
});

t.test('the same operations give the same IOTLB contents every time', async (t) => {
  const run = () => {
    const b = iommuBench({ iotlbEntries: 5 });
    for (let p = 0; p < 12; p++) b.tables.map(p % 3, p * 4096, dataFrame(p));
    for (let i = 0; i < 60; i++) {
      const p = (i * 7) % 12;
      b.iommu.dma(p % 3).read(p * 4096, 1);
    }
    return JSON.stringify(b.iommu.iotlb.entries()) + JSON.stringify(b.iommu.counters);
  };
  t.equal(run(), run());
});
