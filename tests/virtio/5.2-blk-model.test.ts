/**
 * virtio-blk (virtio 1.x §5.2.6) against a model: a Map of sectors. Any sequence of reads,
 * writes, discards, write-zeroes and flushes returns what the model returns; with the file
 * backend, after every FLUSH a fresh read of the backing file shows the model's contents.
 */
import t from 'tap';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { VirtioBlk } from '../../devices/virtio/blk/device.js';
import { MemoryBackend, type BlockBackend } from '../../devices/virtio/blk/backend.js';
import { FileBackend } from '../../devices/virtio/blk/file-backend.js';
import { SECTOR_SIZE } from '../../devices/virtio/blk/request.js';
import { guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { BlkDriver } from '../../testing/blk.js';
import { blkCommands, blkModel, modelSector, type BlkModel } from '../../testing/blk-model.js';

const SECTORS = 48;

function real(backend: BlockBackend, indirect: boolean, readOnly = false) {
  const tm = guestMemory({ size: 2 << 20 });
  const dev = new VirtioMmio(new VirtioBlk({ backend, readOnly, queueSize: 16 }), { dma: tm.dma, irq: { raise() {} } });
  const drv = new MmioDriver(dev, tm);
  drv.init();
  return { tm, d: new BlkDriver(drv, 0, { indirect }), mark: tm.mark() };
}

t.test('§5.2.6 memory backend matches the Map model for any command sequence', async (t) => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), blkCommands(SECTORS), (indirect, readOnly, cmds) => {
      const r = real(new MemoryBackend(SECTORS), indirect, readOnly);
      fc.modelRun(() => ({ model: blkModel(SECTORS, readOnly), real: { d: r.d } }), cmds);
    }),
    { numRuns: 150 },
  );
  t.pass();
});

t.test('§5.2.6.2 file backend: after FLUSH, reopening the backing file shows the data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-blk-model-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let run = 0;
  fc.assert(
    fc.property(blkCommands(SECTORS, { maxCommands: 25 }), (cmds) => {
      const file = join(dir, `disk-${run++}.img`);
      writeFileSync(file, new Uint8Array(SECTORS * SECTOR_SIZE));
      const backend = new FileBackend(file);
      try {
        const r = real(backend, false);
        const afterFlush = (m: BlkModel) => {
          const disk = new Uint8Array(readFileSync(file));
          for (let s = 0; s < SECTORS; s++) {
            const want = modelSector(m, s);
            const got = disk.subarray(s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
            if (got.some((b, i) => b !== want[i])) throw new Error(`after flush ${m.flushes}: sector ${s} of ${file} differs from the model`);
          }
        };
        fc.modelRun(() => ({ model: blkModel(SECTORS), real: { d: r.d, afterFlush } }), cmds);
      } finally {
        backend.close();
        rmSync(file, { force: true });
      }
    }),
    { numRuns: 60 },
  );
  t.pass();
});
