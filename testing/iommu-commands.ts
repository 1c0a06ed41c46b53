/**
 * Model-based testing of the IOMMU with `fc.commands`: map, unmap, the three invalidations
 * (through the MMIO registers, as a guest would issue them) and DMA reads and writes, checked
 * against `IommuModel`. After every command the real IOTLB must hold exactly what the model
 * says it holds; after every DMA the bytes read, the bytes written and the faults must match,
 * and a write must change nothing in RAM beyond its target bytes (nothing at all on a fault).
 */
import fc from 'fast-check';
import { IommuFault } from '../devices/iommu/iommu-dma.js';
import { iovaPageArb, iovaArb, permsArb, IOVA_PAGES } from './iommu-arbitraries.js';
import { IommuModel, modelKey } from './iommu-model.js';
import { dataFrame, DATA_BASE, iommuBench, type IommuBench } from './iommu-setup.js';
import type { Perms } from './iommu-tables.js';

export const MODEL_DEVICES = 2;
export const MODEL_FRAMES = 8;

type Cmd = fc.Command<IommuModel, IommuBench>;

function fail(msg: string): never {
  throw new Error(msg);
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** The real IOTLB, as a set of `key → frame/r/w`, must equal the model's. */
function checkIotlb(m: IommuModel, r: IommuBench): void {
  const real = r.iommu.iotlb.entries();
  if (real.length !== m.iotlb.size) fail(`IOTLB holds ${real.length} entries, model ${m.iotlb.size}`);
  for (const e of real) {
    const want = m.iotlb.get(modelKey(e.device, e.page));
    const frame = e.value - (e.value & 0xfff);
    const read = (e.value & 1) !== 0;
    const write = (e.value & 2) !== 0;
    if (want === undefined || want.frame !== frame || want.read !== read || want.write !== write) {
      fail(`IOTLB entry dev ${e.device} page ${e.page} → ${hex(frame)} r=${read} w=${write}; model ${JSON.stringify(want)}`);
    }
  }
}

class MapCmd implements Cmd {
  constructor(readonly device: number, readonly page: number, readonly frame: number, readonly perms: Perms) {}
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    r.tables.map(this.device, this.page * 4096, dataFrame(this.frame), this.perms);
    m.map(this.device, this.page, { frame: dataFrame(this.frame), ...this.perms });
    checkIotlb(m, r);
  }
  toString(): string {
    return `map(dev ${this.device}, page ${this.page} → frame ${this.frame}, ${this.perms.read ? 'r' : '-'}${this.perms.write ? 'w' : '-'})`;
  }
}

class UnmapCmd implements Cmd {
  constructor(readonly device: number, readonly page: number) {}
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    r.tables.unmap(this.device, this.page * 4096);
    m.unmap(this.device, this.page);
    checkIotlb(m, r);
  }
  toString(): string { return `unmap(dev ${this.device}, page ${this.page})`; }
}

class InvalidatePageCmd implements Cmd {
  constructor(readonly device: number, readonly page: number, readonly am: number) {}
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    r.driver.invalidatePage(this.device, this.page * 4096, this.am);
    m.invalidatePages(this.device, this.page, this.am);
    checkIotlb(m, r);
  }
  toString(): string { return `invalidatePage(dev ${this.device}, page ${this.page}, am ${this.am})`; }
}

class InvalidateDeviceCmd implements Cmd {
  constructor(readonly device: number) {}
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    r.driver.invalidateDevice(this.device);
    m.invalidateDevice(this.device);
    checkIotlb(m, r);
  }
  toString(): string { return `invalidateDevice(${this.device})`; }
}

class InvalidateGlobalCmd implements Cmd {
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    r.driver.invalidateGlobal();
    m.invalidateGlobal();
    checkIotlb(m, r);
  }
  toString(): string { return 'invalidateGlobal()'; }
}

function expectFault(run: () => void, what: string): void {
  try {
    run();
  } catch (e) {
    if (e instanceof IommuFault) return;
    throw e;
  }
  fail(`${what}: expected an IOMMU fault, got none`);
}

class DmaReadCmd implements Cmd {
  constructor(readonly device: number, readonly iova: number, readonly len: number) {}
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    const faultsBefore = r.iommu.counters.faults;
    const frames = m.access(this.device, this.iova, this.len, false);
    const dma = r.iommu.dma(this.device);
    if (frames === null) {
      expectFault(() => dma.read(this.iova, this.len), this.toString());
      if (r.iommu.counters.faults !== faultsBefore + 1) fail('a faulting read must record exactly one fault');
    } else {
      const got = dma.read(this.iova, this.len);
      const want = gatherFrom(r.mem.ram, frames, this.iova, this.len);
      if (Buffer.compare(got, want) !== 0) fail(`${this}: read the wrong bytes`);
      if (r.iommu.counters.faults !== faultsBefore) fail(`${this}: recorded a fault on a permitted read`);
    }
    checkIotlb(m, r);
  }
  toString(): string { return `dmaRead(dev ${this.device}, ${hex(this.iova)}, ${this.len})`; }
}

class DmaWriteCmd implements Cmd {
  constructor(readonly device: number, readonly iova: number, readonly len: number, readonly seed: number) {}
  check(): boolean { return true; }
  run(m: IommuModel, r: IommuBench): void {
    const data = new Uint8Array(this.len);
    for (let i = 0; i < this.len; i++) data[i] = (this.seed + i * 151) & 0xff;
    const before = r.mem.ram.slice();
    const faultsBefore = r.iommu.counters.faults;
    const frames = m.access(this.device, this.iova, this.len, true);
    const dma = r.iommu.dma(this.device);
    if (frames === null) {
      expectFault(() => dma.write(this.iova, data), this.toString());
      if (Buffer.compare(before, r.mem.ram) !== 0) fail(`${this}: a faulting write changed guest memory`);
      if (r.iommu.counters.faults !== faultsBefore + 1) fail('a faulting write must record exactly one fault');
    } else {
      dma.write(this.iova, data);
      scatterInto(before, frames, this.iova, data);
      if (Buffer.compare(before, r.mem.ram) !== 0) fail(`${this}: guest memory differs from the model's expectation`);
    }
    checkIotlb(m, r);
  }
  toString(): string { return `dmaWrite(dev ${this.device}, ${hex(this.iova)}, ${this.len}, seed ${this.seed})`; }
}

function gatherFrom(ram: Uint8Array, frames: number[], iova: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let off = iova & 0xfff;
  for (let i = 0, at = 0; at < len; i++, off = 0) {
    const n = Math.min(4096 - off, len - at);
    out.set(ram.subarray(frames[i]! + off, frames[i]! + off + n), at);
    at += n;
  }
  return out;
}

function scatterInto(ram: Uint8Array, frames: number[], iova: number, data: Uint8Array): void {
  let off = iova & 0xfff;
  for (let i = 0, at = 0; at < data.length; i++, off = 0) {
    const n = Math.min(4096 - off, data.length - at);
    ram.set(data.subarray(at, at + n), frames[i]! + off);
    at += n;
  }
}

export interface IommuCommandOptions {
  devices?: number;
  pages?: readonly number[];
}

/** The command arbitraries; pair with `iommuModelSetup()` in `fc.modelRun`. */
export function iommuCommands(options: IommuCommandOptions = {}): fc.Arbitrary<Cmd>[] {
  const dev = fc.integer({ min: 0, max: (options.devices ?? MODEL_DEVICES) - 1 });
  const pages = options.pages ?? IOVA_PAGES;
  const page = iovaPageArb(pages);
  const len = fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 9000 }));
  const frame = fc.integer({ min: 0, max: MODEL_FRAMES - 1 });
  const map = fc.tuple(dev, page, frame, permsArb).map(([d, p, f, perms]) => new MapCmd(d, p, f, perms));
  const read = fc.tuple(dev, iovaArb(pages), len).map(([d, a, l]) => new DmaReadCmd(d, a, l));
  const write = fc.tuple(dev, iovaArb(pages), len, fc.integer({ min: 0, max: 255 })).map(([d, a, l, s]) => new DmaWriteCmd(d, a, l, s));
  // Repeats weight the choice: with every command equally likely, invalidations (three of the
  // seven kinds) would empty the IOTLB before anything stale could be observed.
  return [
    map, map, map,
    read, read, read,
    write, write, write,
    fc.tuple(dev, page).map(([d, p]) => new UnmapCmd(d, p)),
    fc.tuple(dev, page).map(([d, p]) => new UnmapCmd(d, p)),
    fc.tuple(dev, page, fc.constantFrom(0, 0, 0, 1, 2, 11)).map(([d, p, am]) => new InvalidatePageCmd(d, p, am)),
    dev.map((d) => new InvalidateDeviceCmd(d)),
    fc.constant(new InvalidateGlobalCmd()),
  ];
}

/**
 * A fresh bench for one run: every model device in `translate` mode with nothing mapped, DMA
 * frames filled with a recognisable pattern, and an IOTLB larger than the model's key space
 * so that the model's IOTLB is exact.
 */
export function iommuModelSetup(devices = MODEL_DEVICES): () => { model: IommuModel; real: IommuBench } {
  return () => {
    const real = iommuBench({ iotlbEntries: 4096 });
    for (let d = 0; d < devices; d++) real.tables.setDevice(d, 'translate');
    const ram = real.mem.ram;
    for (let i = DATA_BASE; i < ram.length; i++) ram[i] = (i * 7 + (i >>> 12)) & 0xff;
    return { model: new IommuModel(), real };
  };
}
