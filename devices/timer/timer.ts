/**
 * A periodic timer on the virtual clock (docs/devices.md). Simpler than the 8254 PIT it
 * replaces at 0x40: the guest writes a period in virtual microseconds and gets IRQ 0 each
 * period. Deadlines are computed from the previous deadline, so the period never drifts
 * however late the VMM gets round to running the event.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';
import type { VirtualClock } from '../../vmm/clock.js';
import type { IrqLine } from '../pic/pic.js';

export const TIMER_PORT = 0x40;
export const TIMER_PORT_COUNT = 8;
export const TIMER_IRQ = 0;

const REG_PERIOD = 0;
const REG_TIME = 4;

export class Timer implements BusDevice {
  readonly name = 'timer';
  private periodUs = 0;
  private periodCycles = 0;
  private eventId = 0;
  /** How many times the timer has fired; for tests and the report, not visible to the guest. */
  fired = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly irq: IrqLine,
    private readonly cpuHz: number,
  ) {}

  get period(): number {
    return this.periodUs;
  }

  /** Microseconds of virtual time since the clock started, as the guest sees it. */
  nowUs(): number {
    return Math.floor((this.clock.now * 1e6) / this.cpuHz);
  }

  setPeriod(us: number): void {
    this.periodUs = us >>> 0;
    if (this.eventId !== 0) this.clock.cancel(this.eventId);
    this.eventId = 0;
    if (this.periodUs === 0) return;
    this.periodCycles = Math.max(1, Math.round((this.periodUs * this.cpuHz) / 1e6));
    this.arm(this.clock.now + this.periodCycles);
  }

  read(offset: number, size: AccessSize): number {
    const reg = offset & ~3;
    const word = reg === REG_PERIOD ? this.periodUs : reg === REG_TIME ? this.nowUs() >>> 0 : 0;
    return lane(word, offset, size);
  }

  /** Narrow writes merge into the register's bytes, as they would on a 32-bit register. */
  write(offset: number, size: AccessSize, value: number): void {
    if ((offset & ~3) !== REG_PERIOD) return;
    const shift = (offset & 3) * 8;
    const bits = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    const mask = (bits << shift) >>> 0;
    this.setPeriod(((this.periodUs & ~mask) | ((value << shift) & mask)) >>> 0);
  }

  private arm(at: number): void {
    this.eventId = this.clock.schedule(at, () => {
      this.fired++;
      this.arm(at + this.periodCycles);
      this.irq.raise();
    });
  }
}

function lane(word: number, offset: number, size: AccessSize): number {
  const v = word >>> ((offset & 3) * 8);
  return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
}
