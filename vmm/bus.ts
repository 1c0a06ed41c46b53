/**
 * One address space of devices: the port bus and the MMIO bus are both instances (design §5).
 * The run loop hits this on every io/mmio exit, so lookup is a one-entry cache in front of a
 * binary search over sorted, non-overlapping ranges.
 */
import type { AccessSize } from './exits.js';

export interface BusDevice {
  readonly name: string;
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /**
   * Optional: whether a write here is completed by the hypervisor's kernel without the
   * user-space device model (an ioeventfd): the VMM charges its exit as light.
   */
  inKernelWrite?(offset: number, size: AccessSize): boolean;
}

interface Mapping {
  readonly base: number;
  readonly end: number; // exclusive
  readonly device: BusDevice;
}

const MASKS = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

function hex(n: number): string {
  return '0x' + n.toString(16);
}

export class Bus {
  /** Accesses that hit no device: a guest bug or a probe, worth seeing in the report. */
  unmappedReads = 0;
  unmappedWrites = 0;

  private readonly ranges: Mapping[] = [];
  private last: Mapping | undefined;

  constructor(readonly name: string) {}

  map(base: number, length: number, device: BusDevice): void {
    if (!Number.isSafeInteger(base) || base < 0) {
      throw new Error(`bus ${this.name}: cannot map ${device.name}: bad base ${base}`);
    }
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new Error(`bus ${this.name}: cannot map ${device.name} at ${hex(base)}: length must be a positive integer, got ${length}`);
    }
    const end = base + length;
    for (const r of this.ranges) {
      if (base < r.end && r.base < end) {
        throw new Error(
          `bus ${this.name}: cannot map ${device.name} at ${hex(base)}..${hex(end - 1)}: ` +
          `overlaps ${r.device.name} at ${hex(r.base)}..${hex(r.end - 1)}`,
        );
      }
    }
    const at = this.ranges.findIndex((r) => r.base > base);
    this.ranges.splice(at < 0 ? this.ranges.length : at, 0, { base, end, device });
  }

  find(addr: number): { device: BusDevice; base: number } | undefined {
    return this.lookup(addr);
  }

  /** Every mapping in address order, for docs and debugging output. */
  mappings(): { base: number; length: number; device: BusDevice }[] {
    return this.ranges.map((r) => ({ base: r.base, length: r.end - r.base, device: r.device }));
  }

  read(addr: number, size: AccessSize): number {
    const m = this.lookup(addr);
    if (m === undefined) {
      this.unmappedReads++;
      return MASKS[size];
    }
    return (m.device.read(addr - m.base, size) & MASKS[size]) >>> 0;
  }

  write(addr: number, size: AccessSize, value: number): void {
    const m = this.lookup(addr);
    if (m === undefined) {
      this.unmappedWrites++;
      return;
    }
    m.device.write(addr - m.base, size, (value & MASKS[size]) >>> 0);
  }

  private lookup(addr: number): Mapping | undefined {
    const last = this.last;
    if (last !== undefined && addr >= last.base && addr < last.end) return last;
    const rs = this.ranges;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return (this.last = r);
    }
    return undefined;
  }
}
