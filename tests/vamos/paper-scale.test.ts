/**
 * The experiment at scale (issue 17, item 6): points on worker threads, shards joined by
 * `vamos bench merge` into the serial sweep's paper.json bit for bit, the progress line and its
 * estimate, and the sizing a million-record sweep relies on (the run itself is a manual check
 * quoted in docs/paper.md: far too long for the suite). A tiny sweep keeps this quick.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { parseShard, progressLine, shardTasks } from '../../middleware/experiment/parallel.js';
import { loadVolume, sweepTasks, volumeSectorsFor, QUICK_SWEEP } from '../../middleware/experiment/sweep.js';
import { runPoint } from '../../middleware/experiment/point.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { loadProfile } from '../../vmm/profile.js';

const SWEEP = ['--records', '200', '--ops', '30', '--pools', '64,32,16', '--iommu', 'off', '--profile', 'nehalem-2011', '--concurrency', '1', '--transport', 'vmcall,virtio'];

async function vamos(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

t.test('two shards, one of them on two worker threads, merge into the serial paper.json bit for bit', async (t) => {
  const dir = t.testdir();
  const serial = await vamos(['bench', 'paper', ...SWEEP, '--out', join(dir, 'serial')]);
  t.equal(serial.code, 0, serial.err);
  t.match(serial.err, /\[1\/6\] nehalem-2011 iommu=off pool=64 vmcall \(\d+ s, about \d+ s left\)/, 'a progress line with the time left');
  // Shard 1 of 2 holds pools 64 and 16, each over both transports (a point's tasks stay
  // together), so --jobs 2 really runs two workers.
  const s1 = await vamos(['bench', 'paper', ...SWEEP, '--shard', '1/2', '--jobs', '2', '--out', join(dir, 's')]);
  const s2 = await vamos(['bench', 'paper', ...SWEEP, '--shard', '2/2', '--out', join(dir, 's')]);
  t.same([s1.code, s2.code], [0, 0], s1.err + s2.err);
  const shards = [join(dir, 's', 'shard-2-of-2.json'), join(dir, 's', 'shard-1-of-2.json')]; // any order
  const merged = await vamos(['bench', 'merge', join(dir, 'merged'), ...shards]);
  t.equal(merged.code, 0, merged.err);
  const a = readFileSync(join(dir, 'serial', 'paper.json'), 'utf8');
  t.equal(readFileSync(join(dir, 'merged', 'paper.json'), 'utf8'), a, 'merged paper.json equals the serial one');
  t.equal(readFileSync(join(dir, 'merged', 'paper.html'), 'utf8').includes('<svg'), true, 'the merge writes the report with its charts');
  const json = JSON.parse(a) as { points: Record<string, unknown>[] };
  t.same(json.points.map((p) => p.transport), ['vmcall', 'virtio', 'vmcall', 'virtio', 'vmcall', 'virtio'], 'each pool over both transports');
  for (const p of json.points) {
    t.type(p.improvement, 'number');
    t.type(p.exitReduction, 'number');
    t.type((p.vamosLatencyUs as Record<string, number>).p99, 'number');
    const byReason = p.vamosExitsPerOpByReason as Record<string, number>;
    if (p.transport === 'vmcall') t.equal(byReason.vmcall, 1, 'exits per op by reason: one vmcall per operation');
    else t.equal(byReason.vmcall, undefined, 'over the module channel: no vmcall at all');
  }

  const missing = await vamos(['bench', 'merge', join(dir, 'm2'), shards[0]!]);
  t.equal(missing.code, 1);
  t.match(missing.err, /^vamos bench: 4 of 6 points missing \(first: 0, in shard 1\/2\)\n$/, 'a gap is refused in one line');
  const twice = await vamos(['bench', 'merge', join(dir, 'm3'), shards[0]!, shards[0]!]);
  t.match(twice.err, /point 2 is in two shard files/);
  writeFileSync(join(dir, 'other.json'), readFileSync(shards[1]!, 'utf8').replace('"records":200', '"records":201'));
  const other = await vamos(['bench', 'merge', join(dir, 'm4'), shards[0]!, join(dir, 'other.json')]);
  t.match(other.err, /a different sweep/);
});

t.test('bad --shard, --jobs and --load: one line, exit 2', async (t) => {
  for (const argv of [['--shard', '3/2'], ['--shard', '0/2'], ['--shard', 'half'], ['--jobs', '0'], ['--load', 'disk']]) {
    const r = await vamos(['bench', 'paper', ...argv]);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err.split('\n')[0], /^vamos bench: --(shard|jobs|load) /);
  }
  const r = await vamos(['bench', 'merge', 'out-only']);
  t.equal(r.code, 2);
});

t.test('shards partition the sweep; every shard gets a share of each profile', async (t) => {
  const tasks = sweepTasks({ ...QUICK_SWEEP, pools: [256, 64, 32, 16], iommuModes: ['off', 'strict'], transports: ['vmcall'] });
  const parts = [1, 2, 3].map((i) => shardTasks(tasks, parseShard(`${i}/3`)).map((x) => x.index));
  t.same(parts.flat().sort((a, b) => a - b), tasks.map((x) => x.index), 'each point in exactly one shard');
  t.same(parts.map((p) => p.length), [3, 3, 2]);
  t.equal(sweepTasks({ ...QUICK_SWEEP, pools: [256, 16] }).length, 4, 'the quick sweep: two pools, each over both transports');
  // With two transports a point's tasks stay in one shard, so no shard reruns another's baseline.
  const both = sweepTasks({ ...QUICK_SWEEP, pools: [256, 64, 16], transports: ['vmcall', 'virtio'] });
  const halves = [1, 2].map((i) => shardTasks(both, parseShard(`${i}/2`)).map((x) => `${x.poolPages} ${x.transport}`));
  t.same(halves, [['256 vmcall', '256 virtio', '16 vmcall', '16 virtio'], ['64 vmcall', '64 virtio']]);
  t.equal(parseShard('2/1'), undefined);
});

t.test('the progress line estimates the time left from the points done so far', async (t) => {
  t.equal(progressLine({ done: 3, total: 45, label: 'modern iommu=off pool=16', elapsedS: 30, leftS: 420 }), '[ 3/45] modern iommu=off pool=16 (30 s, about 7 min left)\n');
  t.equal(progressLine({ done: 45, total: 45, label: 'x', elapsedS: 9000, leftS: 0 }), '[45/45] x (2.5 h)\n', 'no estimate once done');
});

t.test('a million records get a volume that holds them', async (t) => {
  t.equal(volumeSectorsFor(16000), (64 << 20) / 512, 'the sweep\'s 16,000 records keep the 64 MiB volume');
  t.equal(volumeSectorsFor(1_000_000) * 512, 611 << 20, 'about 640 bytes a record (490 measured at 16,000)');
});

t.test('the host bulk loader stores the records the guest load does: the same replies', async (t) => {
  const c = { ...QUICK_SWEEP, records: 300, operations: 60, concurrency: 1, pools: [16], volumeSectors: (8 << 20) / 512 };
  const profile = loadProfile('nehalem-2011');
  const replies = (load: 'guest' | 'host'): string => {
    const base = loadVolume({ ...c, load }, profile);
    return runPoint({
      placement: 'vamos', iommu: 'off', profile, poolPages: 16, volume: new MemoryBackend(c.volumeSectors, false, base),
      workload: { mix: 'A', distribution: 'uniform', records: c.records, operations: c.operations, concurrency: 1, seed: 3, skipLoad: true },
    }).workload.checksum;
  };
  t.equal(replies('host'), replies('guest'));
});
