/**
 * When a device's completions reach the driver. The data moves when the driver notifies (the
 * exit the VMM is handling); the used-ring update and the interrupt come after the device's
 * service time on the virtual clock, or at once when no clock is given (unit tests, benches).
 * All are deterministic: none reads the wall clock.
 */
import type { VirtualClock } from '../../../vmm/clock.js';
import { ioeventfdKickCycles, nsToCycles, type CostProfile } from '../../../vmm/profile.js';
import { HostThreads } from './host-threads.js';

export interface ServiceTiming {
  /** Called once per notification with everything that notification handed over. */
  after(requests: number, bytes: number, done: () => void): void;
  /** The notification came by ioeventfd and this timing's thread pays the user-space work. */
  readonly ioeventfd?: boolean;
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

/**
 * A device served by a host I/O thread behind an ioeventfd (the profile's `virtioIo:
 * 'iothread'`, docs/virtio.md "Host I/O threads"): each notification is a job on the thread,
 * the device model's work the vCPU no longer does (`ioeventfdKickCycles`); when it ends, the
 * requests go to the device, which serves them as ClockedTiming does (one batch at a time,
 * `requests × latency + bytes × ns/byte`). The thread does not wait for the device, as QEMU's
 * I/O thread submits asynchronous I/O and goes back to its event loop: the next notification's
 * work overlaps the previous batch's service, and completions keep their order.
 */
export class IoThreadTiming implements ServiceTiming {
  readonly ioeventfd = true;

  constructor(
    readonly threads: HostThreads,
    private readonly kickCycles: number,
    private readonly device: ClockedTiming,
  ) {}

  static disk(clock: VirtualClock, p: CostProfile, threads = 1): IoThreadTiming {
    return new IoThreadTiming(new HostThreads(clock, threads), ioeventfdKickCycles(p), ClockedTiming.disk(clock, p));
  }

  after(requests: number, bytes: number, done: () => void): void {
    this.threads.run(this.kickCycles, () => this.device.after(requests, bytes, done));
  }
}

/** The disk's timing the profile asks for: the vCPU's synchronous model or an I/O thread. */
export function diskTiming(clock: VirtualClock, p: CostProfile): ServiceTiming {
  return p.virtioIo === 'iothread' ? IoThreadTiming.disk(clock, p) : ClockedTiming.disk(clock, p);
}
