/**
 * The module channel end to end (docs/vamos.md "The module channel", docs/virtio.md
 * "virtio-modchan"): the same workload and seed against the database in all three placements
 * (baseline, VAMOS over vmcall, VAMOS over the virtio module channel), from the same preloaded
 * volume, with several clients so that the channel has operations to overlap.
 */
import t from 'tap';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { runPoint } from '../../middleware/experiment/point.js';
import { loadVolume, QUICK_SWEEP, type SweepConfig } from '../../middleware/experiment/sweep.js';
import type { Transport } from '../../middleware/build.js';
import { loadProfile } from '../../vmm/profile.js';

const profile = loadProfile('nehalem-2011');
const sweep: SweepConfig = { ...QUICK_SWEEP, records: 600, operations: 200, concurrency: 4, volumeSectors: (8 << 20) / 512 };
const volume = loadVolume(sweep, profile);

function point(placement: 'guest' | 'vamos', transport?: Transport, hostThreads?: number, at: { profile?: string; iommu?: 'off' | 'strict' } = {}) {
  return runPoint({
    placement, transport, hostThreads, iommu: at.iommu ?? 'off', profile: at.profile ? loadProfile(at.profile) : profile, poolPages: 16,
    volume: new MemoryBackend(sweep.volumeSectors, false, volume),
    workload: { mix: 'A', distribution: 'zipfian', records: sweep.records, operations: sweep.operations, concurrency: 4, seed: 11, skipLoad: true },
  });
}

const baseline = point('guest');
const vmcall = point('vamos', 'vmcall');
const virtio = point('vamos', 'virtio');

t.test('the same workload and seed give the same replies in all three placements', async (t) => {
  t.equal(baseline.workload.errors, 0);
  t.equal(vmcall.workload.checksum, baseline.workload.checksum, 'VAMOS over vmcall');
  t.equal(virtio.workload.checksum, baseline.workload.checksum, 'VAMOS over the module channel');
  t.equal(virtio.config.transport, 'virtio');
  t.equal(baseline.config.transport, 'none');
});

t.test('over the channel: no hypercalls and no disk exits; operations overlap', async (t) => {
  t.equal(virtio.hypercallsPerOp, 0, 'the engine is reached through the device, not vmcall');
  t.equal(virtio.exits.filter((e) => e.device.startsWith('virtio-blk')).length, 0, 'no virtio-blk exits');
  t.ok(virtio.exits.some((e) => e.device === 'virtio-modchan0' && e.reason === 'mmio'), 'notifications and interrupt acks are MMIO exits of the channel');
  const ch = virtio.channel!;
  // One operation per request (mix A: GET, or SET = put + commit in one batch) plus open, count, close.
  t.ok(ch.calls >= sweep.operations && ch.calls <= sweep.operations + 4, `${ch.calls} channel calls for ${sweep.operations} operations`);
  t.ok(ch.maxInFlight >= 2, `the server kept ${ch.maxInFlight} operations in flight at once`);
  t.ok(ch.hostQueuedCycles > 0, 'with one host thread, operations queued behind each other');
  t.equal(virtio.volume.pageReadsPerOp, vmcall.volume.pageReadsPerOp, 'the same engine reads the same pages over either transport');
});

t.test('two host threads: the same replies, less queueing', async (t) => {
  const two = point('vamos', 'virtio', 2);
  t.equal(two.workload.checksum, baseline.workload.checksum);
  t.ok(two.channel!.hostQueuedCycles < virtio.channel!.hostQueuedCycles, `${two.channel!.hostQueuedCycles} < ${virtio.channel!.hostQueuedCycles} queued cycles`);
});

t.test('a channel point is deterministic', async (t) => {
  const again = point('vamos', 'virtio');
  t.same({ ...again, console: '' }, { ...virtio, console: '' });
});

t.test('docs/paper.md\'s two findings: the channel wins where the disk dominates, the hypercall where exits do', async (t) => {
  // An SSD (nehalem-2011), IOMMU off: the vCPU serves other clients while page reads run on the host thread.
  t.ok(virtio.workload.opsPerSecond > vmcall.workload.opsPerSecond,
    `SSD: channel ${virtio.workload.opsPerSecond.toFixed(0)} > hypercall ${vmcall.workload.opsPerSecond.toFixed(0)} ops/s`);
  t.ok(virtio.workload.latencyUs.p99 < vmcall.workload.latencyUs.p99, 'and a lower p99 latency');
  t.ok(virtio.exitsPerOp > vmcall.exitsPerOp, 'though it pays more exits per operation');
  // The page cache with strict IOMMU: engine time is short, each operation's exits dominate.
  const at = { profile: 'nehalem-2011-pagecache', iommu: 'strict' as const };
  const fast = point('vamos', 'vmcall', undefined, at), chan = point('vamos', 'virtio', undefined, at);
  t.equal(chan.workload.checksum, baseline.workload.checksum);
  t.ok(fast.workload.opsPerSecond > chan.workload.opsPerSecond,
    `page cache, strict: hypercall ${fast.workload.opsPerSecond.toFixed(0)} > channel ${chan.workload.opsPerSecond.toFixed(0)} ops/s`);
});
