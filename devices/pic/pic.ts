/**
 * A PIC in the style of a cascaded 8259 pair, folded into one 16-line controller
 * (docs/devices.md). Edge-triggered, fully nested: line 0 has the highest priority.
 * Vectors are fixed at 32..47 because the guest never needs to move them; the 8259
 * initialisation words (ICW1-4) are therefore not modelled.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';

/** What a device holds to signal an interrupt, so that devices never depend on the PIC. */
export interface IrqLine {
  raise(): void;
}

export const PIC_VECTOR_BASE = 32;
export const PIC_LINES = 16;
export const PIC_PRIMARY_PORT = 0x20;
export const PIC_SECONDARY_PORT = 0xa0;
export const PIC_PORT_COUNT = 2;

const OCW2_NON_SPECIFIC_EOI = 0x20;
const OCW2_SPECIFIC_EOI = 0x60;

function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class Pic implements BusDevice {
  readonly name = 'pic';
  /** The 0xA0/0xA1 window: command and mask for lines 8-15. */
  readonly secondary: BusDevice;
  irr = 0;
  isr = 0;
  /** All lines start masked; a driver unmasks the line it serves. */
  mask = 0xffff;
  /** Per window, as OCW3 selects it: reading the command port gives ISR instead of IRR. */
  private readonly readIsr = [false, false];

  constructor(private readonly onRaise?: () => void) {
    this.secondary = {
      name: this.name,
      read: (offset, size) => this.readWindow(1, offset, size),
      write: (offset, size, value) => this.writeWindow(1, offset, size, value),
    };
  }

  line(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 0 || n >= PIC_LINES) throw new Error(`pic: no line ${n}`);
    return { raise: () => this.raise(n) };
  }

  /** An edge: a second raise before the first is acknowledged is coalesced, as on the 8259. */
  raise(line: number): void {
    this.irr |= 1 << line;
    this.onRaise?.();
  }

  /** The vector the CPU would be interrupted with now, or -1. Does not look at the guest's IF. */
  pendingVector(): number {
    const requested = this.irr & ~this.mask & 0xffff;
    if (requested === 0) return -1;
    const line = lowestBit(requested);
    const blockedFrom = this.isr === 0 ? PIC_LINES : lowestBit(this.isr);
    return line < blockedFrom ? PIC_VECTOR_BASE + line : -1;
  }

  /** The interrupt-acknowledge cycle: IRR→ISR. Returns the vector, or -1 when nothing is pending. */
  acknowledge(): number {
    const vector = this.pendingVector();
    if (vector < 0) return -1;
    const bit = 1 << (vector - PIC_VECTOR_BASE);
    this.irr &= ~bit;
    this.isr |= bit;
    return vector;
  }

  /** Non-specific EOI when `line` is omitted: clears the highest-priority in-service line. */
  eoi(line?: number): void {
    if (line === undefined) this.isr &= this.isr - 1;
    else this.isr &= ~(1 << line);
  }

  read(offset: number, size: AccessSize): number {
    return this.readWindow(0, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.writeWindow(0, offset, size, value);
  }

  private readWindow(half: 0 | 1, offset: number, _size: AccessSize): number {
    const shift = half * 8;
    if (offset === 0) return ((this.readIsr[half] ? this.isr : this.irr) >>> shift) & 0xff;
    if (offset === 1) return (this.mask >>> shift) & 0xff;
    return 0xff;
  }

  private writeWindow(half: 0 | 1, offset: number, _size: AccessSize, value: number): void {
    const shift = half * 8;
    const v = value & 0xff;
    if (offset === 1) {
      this.mask = (this.mask & ~(0xff << shift)) | (v << shift);
      return;
    }
    if (offset !== 0) return;
    if (v === OCW2_NON_SPECIFIC_EOI) {
      // Drivers for a real cascade EOI the secondary and then the primary; one controller
      // must count that as one EOI, so only the primary's non-specific EOI takes effect.
      if (half === 0) this.eoi();
    } else if ((v & 0xf8) === OCW2_SPECIFIC_EOI) {
      this.eoi(shift + (v & 7));
    } else if ((v & 0x18) === 0x08 && (v & 0x02) !== 0) {
      this.readIsr[half] = (v & 0x01) !== 0; // OCW3 read-register command
    }
  }
}
