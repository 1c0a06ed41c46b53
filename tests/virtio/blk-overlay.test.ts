import t from 'tap';
import fc from 'fast-check';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { OverlayBackend } from '../../devices/virtio/blk/overlay.js';

// The copy-on-write disk the paper's sweep runs on must read back exactly what a plain memory
// disk with the same history would, and must never write its base.
const SECTORS = 64; // 32 KiB: eight 4 KiB chunks, so requests cross chunk boundaries

type Op =
  | { kind: 'write'; sector: number; count: number; seed: number }
  | { kind: 'zero'; sector: number; count: number }
  | { kind: 'discard'; sector: number; count: number }
  | { kind: 'read'; sector: number; count: number }
  | { kind: 'view'; sector: number; count: number };

const range = fc.integer({ min: 0, max: SECTORS - 1 }).chain((sector) =>
  fc.record({ sector: fc.constant(sector), count: fc.integer({ min: 1, max: SECTORS - sector }) }));
const op: fc.Arbitrary<Op> = fc.oneof(
  range.chain((r) => fc.integer({ min: 0, max: 255 }).map((seed) => ({ kind: 'write' as const, ...r, seed }))),
  range.map((r) => ({ kind: 'zero' as const, ...r })),
  range.map((r) => ({ kind: 'discard' as const, ...r })),
  range.map((r) => ({ kind: 'read' as const, ...r })),
  range.map((r) => ({ kind: 'view' as const, ...r })),
);

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed * 7 + 1) & 0xff);

t.test('OverlayBackend behaves as a MemoryBackend with the same history, and leaves its base alone', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.array(op, { maxLength: 40 }), (baseSeed, ops) => {
    const base = bytes(SECTORS * 512, baseSeed);
    const pristine = base.slice();
    const model = new MemoryBackend(SECTORS, false, base);
    const overlay = new OverlayBackend(base);
    for (const o of ops) {
      const n = o.count * 512;
      switch (o.kind) {
        case 'write': { const d = bytes(n, o.seed); model.write(o.sector, d); overlay.write(o.sector, d); break; }
        case 'zero': model.writeZeroes(o.sector, o.count); overlay.writeZeroes(o.sector, o.count); break;
        case 'discard': model.discard(o.sector, o.count); overlay.discard(o.sector, o.count); break;
        case 'read': {
          const a = new Uint8Array(n), b = new Uint8Array(n);
          model.read(o.sector, a); overlay.read(o.sector, b);
          if (Buffer.compare(a, b) !== 0) return false;
          break;
        }
        case 'view':
          if (Buffer.compare(model.view(o.sector, n), overlay.view(o.sector, n)) !== 0) return false;
          break;
      }
    }
    return Buffer.compare(overlay.contents(), model.data) === 0 && Buffer.compare(base, pristine) === 0;
  }), { numRuns: 300, seed: 17 });
  t.pass('300 random histories agree');
});

t.test('OverlayBackend refuses a base that is not whole sectors', async (t) => {
  t.throws(() => new OverlayBackend(new Uint8Array(1000)), /not whole sectors/);
});
