/**
 * Model-based testing of virtio-blk with `fc.commands`: the model is a Map from sector number to
 * contents (absent = zeros), the real system a device driven through `BlkDriver`. Every
 * command runs on both and compares status and data. Sectors range a little past the end of
 * the disk so that IOERR paths are exercised too.
 */
import fc from 'fast-check';
import { MAX_DWZ_SEGMENTS } from '../devices/virtio/blk/config.js';
import { SECTOR_SIZE, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, type DwzSegment } from '../devices/virtio/blk/request.js';
import type { BlkDriver, BlkResult } from './blk.js';

export interface BlkModel {
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly data: Map<number, Uint8Array>;
  flushes: number;
}

export interface BlkReal {
  readonly d: BlkDriver;
  /** Called after each FLUSH completes, e.g. to reopen the backing file and compare. */
  readonly afterFlush?: (model: BlkModel) => void;
}

export type BlkCommand = fc.Command<BlkModel, BlkReal>;

export function blkModel(sectors: number, readOnly = false): BlkModel {
  return { sectors, readOnly, data: new Map(), flushes: 0 };
}

export function modelSector(m: BlkModel, s: number): Uint8Array {
  return m.data.get(s) ?? new Uint8Array(SECTOR_SIZE);
}

function inRange(m: BlkModel, sector: number, count: number): boolean {
  return sector + count <= m.sectors;
}

function expectStatus(r: BlkResult, want: number, what: string): void {
  if (r.status !== want) throw new Error(`${what}: status ${r.status}, model says ${want}`);
}

/** Deterministic contents so that a failing case prints small. */
function content(seed: number, count: number): Uint8Array {
  const b = new Uint8Array(count * SECTOR_SIZE);
  for (let i = 0; i < b.length; i++) b[i] = (seed + i * 31 + (i >> 9)) & 0xff;
  return b;
}

class ReadCmd implements BlkCommand {
  constructor(readonly sector: number, readonly count: number) {}
  check(): boolean { return true; }
  run(m: BlkModel, r: BlkReal): void {
    const res = r.d.read(this.sector, this.count);
    if (!inRange(m, this.sector, this.count)) return expectStatus(res, VIRTIO_BLK_S_IOERR, String(this));
    expectStatus(res, VIRTIO_BLK_S_OK, String(this));
    for (let i = 0; i < this.count; i++) {
      const want = modelSector(m, this.sector + i);
      const got = res.data.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE);
      const at = got.findIndex((b, j) => b !== want[j]);
      if (at >= 0) throw new Error(`${this}: sector ${this.sector + i} byte ${at} is ${got[at]}, model says ${want[at]}`);
    }
  }
  toString(): string { return `read(${this.sector}, ${this.count})`; }
}

class WriteCmd implements BlkCommand {
  constructor(readonly sector: number, readonly count: number, readonly seed: number) {}
  check(): boolean { return true; }
  run(m: BlkModel, r: BlkReal): void {
    const data = content(this.seed, this.count);
    const res = r.d.write(this.sector, data);
    if (m.readOnly || !inRange(m, this.sector, this.count)) return expectStatus(res, VIRTIO_BLK_S_IOERR, String(this));
    expectStatus(res, VIRTIO_BLK_S_OK, String(this));
    for (let i = 0; i < this.count; i++) m.data.set(this.sector + i, data.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
  }
  toString(): string { return `write(${this.sector}, ${this.count}, seed ${this.seed})`; }
}

class ZeroCmd implements BlkCommand {
  constructor(readonly discard: boolean, readonly segs: DwzSegment[]) {}
  check(): boolean { return true; }
  run(m: BlkModel, r: BlkReal): void {
    const res = this.discard ? r.d.discard(this.segs) : r.d.writeZeroes(this.segs);
    if (m.readOnly || this.segs.some((s) => !inRange(m, s.sector, s.sectors))) return expectStatus(res, VIRTIO_BLK_S_IOERR, String(this));
    expectStatus(res, VIRTIO_BLK_S_OK, String(this));
    // Both built-in backends zero discarded sectors; the model documents that choice.
    for (const s of this.segs) for (let i = 0; i < s.sectors; i++) m.data.delete(s.sector + i);
  }
  toString(): string { return `${this.discard ? 'discard' : 'writeZeroes'}(${this.segs.map((s) => `${s.sector}+${s.sectors}`).join(', ')})`; }
}

class FlushCmd implements BlkCommand {
  check(): boolean { return true; }
  run(m: BlkModel, r: BlkReal): void {
    expectStatus(r.d.flush(), VIRTIO_BLK_S_OK, 'flush');
    m.flushes++;
    r.afterFlush?.(m);
  }
  toString(): string { return 'flush()'; }
}

/** The command set for a disk of `sectors` sectors. */
export function blkCommands(sectors: number, opts: { maxCommands?: number; maxSectorsPerRequest?: number } = {}): fc.Arbitrary<Iterable<BlkCommand>> {
  const sector = fc.integer({ min: 0, max: sectors + 2 });
  const count = fc.integer({ min: 1, max: opts.maxSectorsPerRequest ?? 8 });
  const seg = fc.record({ sector, sectors: count, flags: fc.constant(0) });
  const segs = fc.array(seg, { minLength: 1, maxLength: Math.min(4, MAX_DWZ_SEGMENTS) });
  return fc.commands(
    [
      fc.tuple(sector, count).map(([s, c]) => new ReadCmd(s, c)),
      fc.tuple(sector, count, fc.nat(255)).map(([s, c, seed]) => new WriteCmd(s, c, seed)),
      segs.map((ss) => new ZeroCmd(true, ss)),
      segs.map((ss) => new ZeroCmd(false, ss)),
      fc.constant(new FlushCmd()),
    ],
    { maxCommands: opts.maxCommands ?? 40 },
  );
}
