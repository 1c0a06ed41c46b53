/**
 * Guest memory reuse (GuestMemory.release): the next guest of the same size gets the released
 * memory back, zeroed, so that reuse cannot change what a guest sees; and a sweep point, which
 * releases its guests' memories, gives the same result as a point run on fresh memories.
 */
import t from 'tap';
import { GuestMemory } from '../../vmm/memory.js';
import { FULL_SWEEP } from '../../middleware/experiment/sweep.js';
import { runPoint, type PointConfig } from '../../middleware/experiment/point.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { loadProfile } from '../../vmm/profile.js';

t.test('a released memory is reused by the next guest of its size, zeroed', async (t) => {
  const a = new GuestMemory(1 << 20);
  a.ram.fill(0xa5);
  new Uint8Array(a.wasm.buffer).fill(0x5a, a.ramSize); // the vCPU state above RAM too
  a.release();
  a.release(); // twice is once
  const b = new GuestMemory(1 << 20);
  t.equal(b.wasm, a.wasm, 'the same WebAssembly.Memory');
  t.ok(new Uint8Array(b.wasm.buffer).every((x) => x === 0), 'all of it zero, RAM and state');
  const c = new GuestMemory(1 << 20);
  t.not(c.wasm, a.wasm, 'a second guest of that size gets a new memory');
  const d = new GuestMemory(2 << 20);
  t.not(d.wasm, a.wasm, 'a guest of another size too');
});

t.test('a sweep point gives the same result on reused memories as on fresh ones', async (t) => {
  const profile = loadProfile('nehalem-2011');
  const cfg = (): PointConfig => ({
    placement: 'guest', iommu: 'strict', profile, poolPages: 16,
    workload: { mix: 'B', distribution: 'zipfian', records: 200, operations: 100, concurrency: 2, seed: 7, valueSize: FULL_SWEEP.valueSize },
    volume: new MemoryBackend((16 << 20) / 512),
  });
  // The first run's guest memory is released at its end; the second run reuses it.
  const first = runPoint(cfg());
  const second = runPoint(cfg());
  t.same(second, first, 'identical results, console and exits included');
});
