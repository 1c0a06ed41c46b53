/**
 * The VAMOS experiment end to end (docs/vamos.md, docs/paper.md): the same database and
 * workload in both placements, from the same preloaded volume.
 */
import t from 'tap';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { runPoint, type PointConfig } from '../../middleware/experiment/point.js';
import { loadVolume, QUICK_SWEEP, type SweepConfig } from '../../middleware/experiment/sweep.js';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { loadProfile } from '../../vmm/profile.js';

const profile = loadProfile('nehalem-2011');
const sweep: SweepConfig = { ...QUICK_SWEEP, records: 600, operations: 150, concurrency: 1, volumeSectors: (8 << 20) / 512 };
const volume = loadVolume(sweep, profile);

function point(placement: 'guest' | 'vamos', poolPages: number, iommu: PointConfig['iommu'] = 'strict') {
  return runPoint({
    placement, iommu, profile, poolPages,
    volume: new MemoryBackend(sweep.volumeSectors, false, volume),
    workload: { mix: 'B', distribution: 'uniform', records: sweep.records, operations: sweep.operations, concurrency: 1, seed: 7, skipLoad: true },
  });
}

const baseline = point('guest', 16);
const vamos = point('vamos', 16);

t.test('both placements give the same replies to the same workload (one client)', async (t) => {
  t.equal(vamos.workload.checksum, baseline.workload.checksum);
  t.equal(baseline.workload.errors, 0);
  t.equal(vamos.workload.operations, 150);
});

t.test('VAMOS makes exactly one hypercall per operation and no storage exits', async (t) => {
  t.equal(vamos.hypercallsPerOp, 1, 'SET = put + commit, batched into one MODULE_CALL');
  // The IOMMU row also counts the network's invalidations, so the disk's own exits are the measure.
  const storage = (r: typeof vamos) => r.exits.filter((e) => e.device.startsWith('virtio-blk')).reduce((s, e) => s + e.count, 0);
  t.equal(storage(vamos), 0, 'no virtio-blk exits in the VAMOS placement');
  t.ok(storage(baseline) > 0, 'the baseline pays for its page reads in exits');
  t.ok(baseline.volume.pageReadsPerOp > 0.2, `a 16-page pool is I/O-bound (${baseline.volume.pageReadsPerOp.toFixed(2)} page reads per op)`);
  t.ok(Math.abs(baseline.volume.pageReadsPerOp - vamos.volume.pageReadsPerOp) < 0.05, 'the same engine reads the same pages in both placements');
  // Both pay the same network exits per request; the baseline adds its disk's (docs/paper.md).
  t.ok(baseline.exitsPerOp - vamos.exitsPerOp > 3 * baseline.volume.pageReadsPerOp, `exits per op: baseline ${baseline.exitsPerOp.toFixed(1)}, VAMOS ${vamos.exitsPerOp.toFixed(1)}`);
});

t.test('a point is deterministic: the same configuration gives the same numbers', async (t) => {
  const again = point('vamos', 16);
  t.same({ ...again, console: '' }, { ...vamos, console: '' });
});

t.test('vamos bench paper refuses bad options in one line', async (t) => {
  for (const argv of [['bench'], ['bench', 'nosuch'], ['bench', 'paper', '--iommu', 'sometimes'], ['bench', 'paper', '--pools', '3'], ['bench', 'paper', '--mix', 'Z'], ['bench', 'paper', '--profile', 'no-such-profile']]) {
    const io = bufferIo();
    const code = await main(argv, io);
    // docs/cli.md: a bad option or value is a usage error, exit code 2 (bad input is 1).
    t.equal(code, 2, `${argv.join(' ')}: exit ${code}`);
    t.match(io.err, /^vamos bench: .+\nusage: vamos bench paper/, 'a one-line reason, then the usage');
    t.notMatch(io.err, /\n\s+at /, 'no stack trace');
  }
});
