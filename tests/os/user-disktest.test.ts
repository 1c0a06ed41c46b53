/**
 * disktest (guest-os/user/disktest) on a data disk: passes in each IOMMU mode, leaves the
 * patterns it wrote on the disk (checked here against the same pattern computed on the host),
 * fails cleanly without a disk or with a disk too small, and its read4k mode reads.
 */
import t from 'tap';
import type { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { bootOs } from '../../testing/os.js';

const programs = ['init', 'disktest'];

/** The pattern word disktest writes (disktest.c: pattern()). */
function pattern(pass: number, sector: number, word: number): number {
  let x = (Math.imul(pass, 0x9e3779b9) ^ Math.imul(sector, 0x85ebca6b) ^ Math.imul(word, 0xc2b2ae35)) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x2c1b3c6d) >>> 0;
  return (x ^ (x >>> 12)) >>> 0;
}

for (const mode of ['off', 'strict', 'deferred']) {
  t.test(`disktest passes with iommu=${mode}`, async (t) => {
    const r = bootOs({ programs, cmdline: `iommu=${mode} run=disktest`, iommu: mode !== 'off', dataDisks: [{ sectors: 2048 }] });
    if (r.exitCode !== 0) t.comment(r.console);
    t.equal(r.exitCode, 0, 'exits 0');
    t.match(r.console, /^disktest: ok: \d+ checks, \d+ sectors written, \d+ read back, disk of 2048 sectors, \d+ us$/m);
    t.match(r.console, /^init: disktest exited with status 0$/m);
    // Sectors 261..516 hold pass 3's pattern at the end (disktest.c, step 2), 140..203 pass 5's.
    const data = (r.disks[0] as MemoryBackend).data;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let bad = 0;
    for (const [pass, from, to] of [[3, 261, 517], [5, 140, 204], [4, 100, 140]] as const) {
      for (let s = from; s < to; s++) {
        for (let w = 0; w < 128; w++) if (view.getUint32(s * 512 + w * 4, true) !== pattern(pass, s, w)) bad++;
      }
    }
    t.equal(bad, 0, 'the disk holds what disktest wrote');
  });
}

t.test('without a data disk, or with one too small, disktest says so and exits 1', async (t) => {
  const r = bootOs({ programs, cmdline: 'run=disktest' });
  t.match(r.console, /^disktest: no data disk: /m);
  t.match(r.console, /^init: disktest exited with status 1$/m);
  const small = bootOs({ programs, cmdline: 'run=disktest', dataDisks: [{ sectors: 100 }] });
  t.match(small.console, /^disktest: data disk 0 has 100 sectors, the test needs 640 from sector 0$/m);
  t.equal(small.exitCode, 1);
});

t.test('disktest read4k N reads N times 4 KiB; a bad argument is refused', async (t) => {
  const r = bootOs({ programs, cmdline: 'run=disktest:read4k:40,disktest:bogus', dataDisks: [{ sectors: 128 }] });
  t.match(r.console, /^disktest: read4k 40 reads in \d+ us$/m);
  t.match(r.console, /^init: disktest exited with status 0$/m);
  t.match(r.console, /^disktest: unknown argument 'bogus' \(usage: disktest \[base B \| read4k N\]\)$/m);
  t.match(r.console, /^init: disktest exited with status 2$/m);
});

t.test('two disktests at once on disjoint regions both pass (requests of two processes in flight)', async (t) => {
  const r = bootOs({ programs, cmdline: 'spawn=disktest:base:0,disktest:base:700', dataDisks: [{ sectors: 1400 }] });
  if (r.exitCode !== 0) t.comment(r.console);
  t.equal(r.exitCode, 0, 'exits 0');
  t.match(r.console, /^disktest: ok: .* \(used 0\.\.639\), \d+ us$/m);
  t.match(r.console, /^disktest: ok: .* \(used 700\.\.1339\), \d+ us$/m);
  t.equal(r.console.match(/^init: disktest exited with status 0$/gm)?.length, 2);
  const over = bootOs({ programs, cmdline: 'run=disktest:base:1000', dataDisks: [{ sectors: 1400 }] });
  t.match(over.console, /^disktest: data disk 0 has 1400 sectors, the test needs 640 from sector 1000$/m);
});
