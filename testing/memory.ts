/**
 * A guest-memory builder for device tests: real `GuestMemory`, the `PhysicalDma` a directly
 * attached device would get, and a bump allocator for rings and buffers. Tests that need the
 * IOMMU pass their own `Dma` to the device and keep using this for the driver's side.
 */
import { GuestMemory } from '../vmm/memory.js';
import { PhysicalDma, type Dma } from '../devices/dma/dma.js';

export interface TestMemoryOptions {
  /** Bytes of RAM, a multiple of 4 KiB (default 1 MiB). */
  size?: number;
  /** First address the allocator hands out (default 0x1000: address 0 stays unused). */
  start?: number;
}

export class TestMemory {
  readonly mem: GuestMemory;
  readonly dma: PhysicalDma;
  private next: number;

  constructor(opts: TestMemoryOptions = {}) {
    this.mem = new GuestMemory(opts.size ?? 1 << 20);
    this.dma = new PhysicalDma(this.mem);
    this.next = opts.start ?? 0x1000;
  }

  get size(): number {
    return this.mem.ramSize;
  }

  /** Zeroed guest memory for `len` bytes; throws when RAM is exhausted (a test bug). */
  alloc(len: number, align = 16): number {
    const at = Math.ceil(this.next / align) * align;
    if (at + len > this.mem.ramSize) throw new Error(`TestMemory: cannot allocate ${len} bytes: RAM is ${this.mem.ramSize} bytes`);
    this.next = at + len;
    this.mem.ram.fill(0, at, at + len);
    this.mem.written(at, len);
    return at;
  }

  /** Frees everything allocated after `mark` (from `mark()`), so a property run can reuse RAM. */
  mark(): number {
    return this.next;
  }
  release(mark: number): void {
    this.next = mark;
  }

  write(addr: number, bytes: Uint8Array): void {
    this.mem.ram.set(bytes, addr);
    this.mem.written(addr, bytes.length);
  }

  read(addr: number, len: number): Uint8Array {
    return this.mem.ram.slice(addr, addr + len);
  }

  /** A snapshot of the whole RAM, to check later what a device did or did not write. */
  snapshot(): Uint8Array {
    return this.mem.ram.slice();
  }
}

export function guestMemory(opts?: TestMemoryOptions): TestMemory {
  return new TestMemory(opts);
}

/** Wraps a Dma to count accesses: the tests' measure of how much work a walk did. */
export class CountingDma implements Dma {
  reads = 0;
  writes = 0;
  /** Every written range, for "this region was never written" assertions. */
  readonly written: { addr: number; len: number }[] = [];

  constructor(private readonly inner: Dma) {}

  read(addr: number, len: number): Uint8Array { this.reads++; return this.inner.read(addr, len); }
  read16(addr: number): number { this.reads++; return this.inner.read16(addr); }
  read32(addr: number): number { this.reads++; return this.inner.read32(addr); }
  write(addr: number, data: Uint8Array): void { this.writes++; this.inner.write(addr, data); this.written.push({ addr, len: data.length }); }
  write16(addr: number, v: number): void { this.writes++; this.inner.write16(addr, v); this.written.push({ addr, len: 2 }); }
  write32(addr: number, v: number): void { this.writes++; this.inner.write32(addr, v); this.written.push({ addr, len: 4 }); }
}
