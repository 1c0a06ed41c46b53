/**
 * The IOMMU against a model of what the guest's tables say and what the IOTLB may still hold
 * (testing/iommu-model.ts), over random sequences of map, unmap, page/device/global
 * invalidation, DMA read and DMA write. The model's IOTLB answers the question each test here
 * is about: which stale translations a DMA may still use.
 */
import t from 'tap';
import fc from 'fast-check';
import { iommuCommands, iommuModelSetup } from '../../testing/iommu-commands.js';

t.test('IOMMU against the model: map, unmap, invalidate page/device/global, DMA read/write', async (t) => {
  fc.assert(
    fc.property(fc.commands(iommuCommands(), { maxCommands: 100, size: 'max' }), (cmds) => {
      fc.modelRun(iommuModelSetup(), cmds);
    }),
    { numRuns: 150 },
  );
  t.pass();
});

t.test('the model run exercises stale entries, faults and every command', async (t) => {
  // A sanity check on the generator, so the property above cannot pass by testing nothing.
  const seen = new Set<string>();
  let stale = 0;
  let faults = 0;
  fc.assert(
    fc.property(fc.commands(iommuCommands(), { maxCommands: 100, size: 'max' }), (cmds) => {
      const setup = iommuModelSetup()();
      for (const c of cmds) {
        seen.add(String(c).split('(')[0]!);
        c.run(setup.model, setup.real);
        stale += setup.model.staleEntries();
      }
      faults += setup.model.faults;
    }),
    { numRuns: 30, seed: 4 },
  );
  t.same([...seen].sort(), ['dmaRead', 'dmaWrite', 'invalidateDevice', 'invalidateGlobal', 'invalidatePage', 'map', 'unmap']);
  t.ok(stale > 0, `stale IOTLB entries were held (${stale} command-steps)`);
  t.ok(faults > 0, `faults happened (${faults})`);
});
