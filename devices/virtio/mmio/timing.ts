/**
 * When a device's completions reach the driver. The data moves when the driver notifies (the
 * exit the VMM is handling); the used-ring update and the interrupt come after the device's
 * service time on the virtual clock, or at once when no clock is given (unit tests, benches).
 * Both are deterministic: neither reads the wall clock.
 */
import type { VirtualClock } from '../../../vmm/clock.js';
import { nsToCycles, type CostProfile } from '../../../vmm/profile.js';

export interface ServiceTiming {
  after(requests: number, bytes: number, done: () => void): void;
}

export const IMMEDIATE: ServiceTiming = {
  after(_requests, _bytes, done) {
    done();
  },
};

/**
 * A device that serves one batch at a time: a batch starts when the previous one finished or
 * now, whichever is later, so completions never overtake each other.
 */
export class ClockedTiming implements ServiceTiming {
  private busyUntil = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly cyclesPerRequest: number,
    private readonly cyclesPerByte: number,
  ) {}

  static disk(clock: VirtualClock, p: CostProfile): ClockedTiming {
    return new ClockedTiming(clock, nsToCycles(p, p.disk.latencyNsPerRequest), (p.disk.nsPerByte * p.cpuHz) / 1e9);
  }

  static net(clock: VirtualClock, p: CostProfile): ClockedTiming {
    return new ClockedTiming(clock, nsToCycles(p, p.net.latencyNs), (p.net.nsPerByte * p.cpuHz) / 1e9);
  }

  after(requests: number, bytes: number, done: () => void): void {
    const start = Math.max(this.clock.now, this.busyUntil);
    this.busyUntil = start + requests * this.cyclesPerRequest + Math.ceil(bytes * this.cyclesPerByte);
    this.clock.schedule(this.busyUntil, done);
  }
}
