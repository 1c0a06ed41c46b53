/**
 * Modelled host threads (docs/virtio.md "Host I/O threads"): the hypervisor-side threads a
 * device backend hands work to, as QEMU's I/O threads take a virtqueue's requests after an
 * ioeventfd kick. Each thread runs one job at a time; a job starts on the thread that is free
 * first (the lowest-numbered on a tie, so the choice never depends on anything but the clock)
 * when that thread is free or now, whichever is later, and its `done` runs on the virtual clock
 * when it ends. The vCPU is not stopped meanwhile: it runs, halts or takes interrupts.
 *
 * Without a clock (unit tests) a job finishes at once, as IMMEDIATE timing does.
 */
import type { VirtualClock } from '../../../vmm/clock.js';

export interface HostThreadStats {
  jobs: number;
  /** Cycles the threads spent working, summed over threads. */
  busyCycles: number;
  /** Cycles jobs waited for a free thread after they were handed over. */
  queuedCycles: number;
}

export class HostThreads {
  readonly stats: HostThreadStats = { jobs: 0, busyCycles: 0, queuedCycles: 0 };
  private readonly freeAt: number[];

  constructor(private clock: VirtualClock | undefined, readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`host threads must be an integer 1..64, got ${threads}`);
    this.freeAt = new Array<number>(threads).fill(0);
  }

  /** Runs a job of `cycles` on the first free thread; `done` runs when it ends. Returns the end time. */
  run(cycles: number, done: () => void): number {
    const c = Math.max(0, Math.round(cycles));
    this.stats.jobs++;
    this.stats.busyCycles += c;
    if (this.clock === undefined) {
      done();
      return 0;
    }
    let t = 0;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < this.freeAt[t]!) t = i;
    const now = this.clock.now;
    const start = Math.max(now, this.freeAt[t]!);
    this.stats.queuedCycles += start - now;
    const end = start + c;
    this.freeAt[t] = end;
    this.clock.schedule(end, done);
    return end;
  }

  /** Puts the threads on a clock made after them (the VM's, which exists once the devices do). */
  attach(clock: VirtualClock): void {
    this.clock = clock;
  }

  /** Forgets the threads' queues (device reset): work already scheduled still ends on time. */
  reset(): void {
    this.freeAt.fill(0);
  }
}
