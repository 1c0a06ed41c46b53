import t from 'tap';
import fc from 'fast-check';
import { Bus, type BusDevice } from '../../vmm/bus.js';
import type { AccessSize } from '../../vmm/exits.js';

class Recorder implements BusDevice {
  readonly reads: [number, number][] = [];
  readonly writes: [number, number, number][] = [];
  constructor(readonly name: string, private readonly answer: number) {}
  read(offset: number, size: AccessSize): number {
    this.reads.push([offset, size]);
    return this.answer;
  }
  write(offset: number, size: AccessSize, value: number): void {
    this.writes.push([offset, size, value]);
  }
}

const size = fc.constantFrom<AccessSize>(1, 2, 4);

t.test('map rejects overlaps exactly when ranges intersect', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 1, max: 40 })), { maxLength: 20 }), (ranges) => {
      const bus = new Bus('test');
      const accepted: [number, number][] = [];
      ranges.forEach(([base, len], i) => {
        const overlaps = accepted.some(([b, l]) => base < b + l && b < base + len);
        let threw = false;
        try {
          bus.map(base, len, new Recorder(`d${i}`, 0));
        } catch (e) {
          threw = true;
          if (!/overlaps/.test((e as Error).message)) throw e;
        }
        if (threw !== overlaps) throw new Error(`range ${base}+${len}: threw=${threw} overlaps=${overlaps}`);
        if (!threw) accepted.push([base, len]);
      });
    }),
  );
});

t.test('map rejects zero and negative lengths', async (t) => {
  const bus = new Bus('ports');
  t.throws(() => bus.map(0x10, 0, new Recorder('z', 0)), /length/);
  t.throws(() => bus.map(0x10, -4, new Recorder('n', 0)), /length/);
  t.throws(() => bus.map(-1, 4, new Recorder('b', 0)), /base/);
});

t.test('dispatch reaches the right device with the right offset; unmapped accesses are counted', async (t) => {
  const layout = fc
    .array(fc.tuple(fc.nat(50), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 10 })
    .map((pairs) => {
      let at = 0;
      return pairs.map(([gap, len]) => {
        const base = at + gap;
        at = base + len;
        return { base, len };
      });
    });
  fc.assert(
    fc.property(layout, fc.array(fc.tuple(fc.nat(900), size, fc.boolean(), fc.nat()), { maxLength: 50 }), (maps, accesses) => {
      const bus = new Bus('mmio');
      const devs = maps.map((m, i) => {
        const d = new Recorder(`dev${i}`, 0x12345678 + i);
        bus.map(m.base, m.len, d);
        return d;
      });
      let unR = 0;
      let unW = 0;
      for (const [addr, sz, write, value] of accesses) {
        const i = maps.findIndex((m) => addr >= m.base && addr < m.base + m.len);
        const mask = sz === 4 ? 0xffffffff : (1 << (sz * 8)) - 1;
        const found = bus.find(addr);
        if (i < 0) {
          if (found !== undefined) return false;
          if (write) {
            bus.write(addr, sz, value);
            unW++;
          } else {
            if (bus.read(addr, sz) !== mask) return false;
            unR++;
          }
          continue;
        }
        const d = devs[i]!;
        if (found?.device !== d || found.base !== maps[i]!.base) return false;
        if (write) {
          bus.write(addr, sz, value);
          const last = d.writes.at(-1)!;
          if (last[0] !== addr - maps[i]!.base || last[1] !== sz || last[2] !== (value & mask) >>> 0) return false;
        } else {
          if (bus.read(addr, sz) !== ((0x12345678 + i) & mask) >>> 0) return false;
          const last = d.reads.at(-1)!;
          if (last[0] !== addr - maps[i]!.base || last[1] !== sz) return false;
        }
      }
      return bus.unmappedReads === unR && bus.unmappedWrites === unW;
    }),
  );
});

t.test('mappings are listed in address order', async (t) => {
  const bus = new Bus('ports');
  bus.map(0x3f8, 8, new Recorder('uart', 0));
  bus.map(0x20, 2, new Recorder('pic', 0));
  t.same(bus.mappings().map((m) => [m.base, m.length, m.device.name]), [[0x20, 2, 'pic'], [0x3f8, 8, 'uart']]);
});
