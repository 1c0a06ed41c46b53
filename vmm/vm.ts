/**
 * A virtual machine: guest memory, one vCPU, the port and MMIO buses with their devices, the
 * virtual clock, the cost profile and the exit accounting, plus the run loop that ties them
 * together the way a KVM user-space VMM does: enter the guest, handle the exit, charge its cost
 * in virtual time, fire due events, inject interrupts, re-enter.
 */
import type { Image } from '../toolchain/image/format.js';
import { validateImage } from '../toolchain/image/read.js';
import { loadImage } from '../toolchain/image/load.js';
import { Bus } from './bus.js';
import { VirtualClock } from './clock.js';
import { Vcpu } from './cpu/cpu.js';
import type { CpuMode } from './cpu/jit.js';
import type { ExitReason, VmExit } from './exits.js';
import { GuestMemory, RESET_VECTOR } from './memory.js';
import { ExitCostTable, loadProfile, type CostProfile } from './profile.js';
import { ExitStats } from './stats.js';
import { HypercallTable } from './hypercalls.js';
import type { TraceRecorder } from './trace/recorder.js';
import { BootInfoError, CMDLINE_MAX, KERNEL_MIN_ADDR, standardMemmap, writeBootInfo } from './bootinfo.js';
import { answerCpuid } from './cpuid.js';
import { CRASH_PORT, CrashPort, describeException, describeTripleFault, type Crash, type CrashContext } from './crash-report.js';
import { Pic, PIC_PORT_COUNT, PIC_PRIMARY_PORT, PIC_SECONDARY_PORT } from '../devices/pic/pic.js';
import { COM1_IRQ, COM1_PORT, UART_PORT_COUNT, Uart16550 } from '../devices/serial/uart16550.js';
import { Timer, TIMER_IRQ, TIMER_PORT, TIMER_PORT_COUNT } from '../devices/timer/timer.js';
import { PowerPort, POWER_PORT, POWER_PORT_COUNT } from '../devices/power/power.js';
import { NullPort, NULL_PORT } from '../devices/null/null-port.js';
import { FwCfg, FWCFG_PORT, FWCFG_PORT_COUNT } from '../devices/fwcfg/fwcfg.js';
import { Iommu } from '../devices/iommu/iommu.js';
import type { VirtioBlk } from '../devices/virtio/blk/device.js';
import type { VirtioNet } from '../devices/virtio/net/device.js';
import type { NetBackend } from '../devices/virtio/net/backend.js';
import type { VirtioDevice } from '../devices/virtio/mmio/device.js';
import { BOOT_NO_DEVICE, IOMMU_IRQ, IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE, VIRTIO_MMIO_STRIDE } from './platform.js';
import { attachSlots, type SlotDevice, type VmDisk } from './slots.js';

export { VmConfigError, type SlotDevice, type VmDisk } from './slots.js';

export const DEFAULT_MEM = 64 * 1024 * 1024;

export interface VmOptions {
  memSize?: number;
  profile?: CostProfile;
  /**
   * Loaded into RAM; its entry is handed to the firmware through the boot-information block.
   * Absent: a disk boot, no block is written and the firmware loads the kernel from the first
   * bootable disk.
   */
  kernel?: Image;
  /**
   * The kernel's symbols for crash reports when the firmware loads it from a disk (a `kernel`
   * brings its own): a triple fault then names the function, as `vamos boot` does. Called only
   * when a report is made, so finding them (reading a boot disk) costs nothing otherwise.
   */
  kernelSymbols?: () => Image['symbols'];
  /** virtio-blk disks, in slots 0, 1, ... (docs/platform.md). */
  disks?: readonly VmDisk[];
  /** virtio-net devices, in the slots after the disks. */
  nets?: readonly NetBackend[];
  /**
   * Device models of the embedder's own (`VirtioDevice`, docs/api.md), in the slots after the
   * network devices, each behind its own virtio-mmio transport like the built-in ones.
   */
  devices?: readonly VirtioDevice[];
  /** Put the IOMMU at 0xFED90000 (IRQ 9) and every slot device behind it (source id = slot). */
  iommu?: boolean;
  /** The boot ROM image (addresses in the ROM window). */
  firmware: Image;
  cmdline?: string;
  /** Serial output, byte by byte. */
  console?: (byte: number) => void;
  /** Bytes queued on the serial input before the guest starts (deterministic stdin). */
  input?: Uint8Array;
  /** Stop after this many guest instructions (0: no limit). */
  maxInstructions?: number;
  /**
   * Called for every exit after it was handled, with its cost in virtual cycles, the device or
   * hypercall that served it, the virtual time it happened at and the guest eip it came from.
   */
  onExit?: (exit: VmExit, cycles: number, device: string | undefined, at: number, eip: number) => void;
  /** Records every exit for `vamos report` (vmm/trace). */
  trace?: TraceRecorder;
  /** Execution tier of the vCPU (default: setDefaultCpuMode's, i.e. the CLI's --cpu, else jit). */
  cpu?: CpuMode;
}

export interface AsyncRunOptions {
  /** Host milliseconds of guest execution between turns of the event loop (default 4). */
  sliceMs?: number;
  /** At most this many guest instructions between checks of the host clock (default 200000). */
  sliceInstructions?: number;
  /** Idle virtual milliseconds that make the VMM sleep in host time (default 1). */
  idleMs?: number;
  /** The longest host sleep for idle virtual time, in milliseconds (default 10). */
  maxIdleMs?: number;
  /**
   * 'paced' (default): idle virtual time is skipped, with host sleeps now and then so that an
   * idle guest costs little. 'wall': the virtual clock runs against the host clock. An idle
   * guest waits for its next timer event in real time, idle time with no timer event passes
   * as it does on the host, and the guest never runs ahead of the host (it is slower anyway,
   * being emulated: that lag is caught up at the next idle, like time a real vCPU spends
   * descheduled). For real clients (`vamos serve`): their timeouts and the guest's agree.
   * 'virtual': exactly run()'s virtual time (idle time skipped at once, slices as run() cuts
   * them), so the run stays deterministic; the event loop only gets a turn now and then, for
   * signals (Ctrl-C ends the run through requestStop at the next exit).
   */
  clock?: 'paced' | 'wall' | 'virtual';
}

interface AsyncState {
  readonly sliceMs: number;
  readonly sliceInstructions: number;
  readonly idleMs: number;
  readonly maxIdleMs: number;
  lastYield: number;
  /** Idle virtual time skipped since the last host sleep, in milliseconds. */
  idleDebtMs: number;
  /** 'wall': the host time (performance.now()) and virtual time (cycles) the run started at. */
  wall: { hostMs: number; cycles: number } | undefined;
  /** 'virtual': no instruction cap per slice, and hlt idles in virtual time as in run(). */
  virtual: boolean;
}

export type StopReason = 'poweroff' | 'shutdown' | 'instruction-limit' | 'halted' | 'interrupted';

export interface RunResult {
  stop: StopReason;
  /** The guest's exit code on power-off. */
  exitCode: number;
  /** What happened, for the one-line message of a stop other than power-off. */
  message: string;
  /** For a guest fault: the backtrace and registers, a line each (vmm/crash-report.ts). */
  details?: string[];
  instructions: number;
  cycles: number;
}

export class Vm {
  readonly profile: CostProfile;
  readonly mem: GuestMemory;
  readonly cpu: Vcpu;
  readonly ports = new Bus('port');
  readonly mmio = new Bus('mmio');
  readonly clock = new VirtualClock();
  readonly stats = new ExitStats();
  readonly hypercalls = new HypercallTable();
  readonly pic: Pic;
  readonly uart: Uart16550;
  readonly timer: Timer;
  readonly power: PowerPort;
  readonly fwcfg: FwCfg;
  /** Present with `iommu: true`. */
  readonly iommu: Iommu | undefined;
  /** Occupied virtio-mmio slots, in slot order. */
  readonly slots: SlotDevice[];
  /** The disks' device models (their stats), in `disks` order. */
  readonly blk: VirtioBlk[];
  /** The network devices' models, in `nets` order. */
  readonly net: VirtioNet[];
  /** Writes the guest made to its ROM (discarded, as with a read-only memslot). */
  romWrites = 0;

  private readonly disks: readonly VmDisk[];
  private readonly nets: readonly NetBackend[];
  private readonly costs: ExitCostTable;
  private readonly maxInstructions: number;
  private readonly onExit: VmOptions['onExit'];
  private readonly trace: TraceRecorder | undefined;
  private irqRaised = false;
  /** Set while runAsync waits in an idle hlt: an interrupt raised by a host event ends the wait. */
  private wake: (() => void) | undefined;
  private sliceEnd: number;
  /** Cycles already charged for retired instructions (kept exact with a fractional CPI). */
  private chargedRetired = 0;
  /** Set by requestStop: the run ends at the next exit with this message. */
  private stopRequest: string | undefined;
  private stopReason: StopReason = 'interrupted';
  private stopDetails: string[] | undefined;
  /** The kernel image's symbols, for crash reports. */
  private readonly symbols: () => CrashContext['symbols'];

  constructor(opts: VmOptions) {
    this.profile = opts.profile ?? loadProfile();
    this.mem = new GuestMemory(opts.memSize ?? DEFAULT_MEM);
    this.cpu = new Vcpu(this.mem, { cpu: opts.cpu });
    this.cpu.cpi = this.profile.cyclesPerInstruction;
    this.costs = new ExitCostTable(this.profile);
    this.maxInstructions = opts.maxInstructions ?? 0;
    this.onExit = opts.onExit;
    this.trace = opts.trace;
    this.sliceEnd = this.profile.timesliceCycles;

    this.pic = new Pic(() => {
      this.irqRaised = true;
      this.wake?.();
    });
    this.ports.map(PIC_PRIMARY_PORT, PIC_PORT_COUNT, this.pic);
    this.ports.map(PIC_SECONDARY_PORT, PIC_PORT_COUNT, this.pic.secondary);
    const console = opts.console ?? ((): void => {});
    this.uart = new Uart16550({ sink: console, irq: this.pic.line(COM1_IRQ), name: 'serial' });
    this.ports.map(COM1_PORT, UART_PORT_COUNT, this.uart);
    this.timer = new Timer(this.clock, this.pic.line(TIMER_IRQ), this.profile.cpuHz);
    this.ports.map(TIMER_PORT, TIMER_PORT_COUNT, this.timer);
    this.power = new PowerPort();
    this.ports.map(POWER_PORT, POWER_PORT_COUNT, this.power);
    this.ports.map(NULL_PORT, 1, new NullPort());
    const kernel = opts.kernel;
    this.symbols = kernel ? () => kernel.symbols : opts.kernelSymbols ?? (() => []);
    this.ports.map(CRASH_PORT, 1, new CrashPort((v) => this.guestFault(v)));
    if (opts.input) this.uart.pushInput(opts.input);

    const cmdline = opts.cmdline ?? '';
    const cmdBytes = new TextEncoder().encode(cmdline).length;
    if (cmdBytes >= CMDLINE_MAX) throw new BootInfoError(`command line is ${cmdBytes} bytes; at most ${CMDLINE_MAX - 1} fit`);
    this.iommu = opts.iommu ? new Iommu(this.mem, this.pic.line(IOMMU_IRQ)) : undefined;
    if (this.iommu) this.mmio.map(IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE, this.iommu);
    this.fwcfg = new FwCfg({
      memSize: this.mem.ramSize, cmdline, iommuBase: this.iommu ? IOMMU_MMIO_BASE : 0, iommuIrq: this.iommu ? IOMMU_IRQ : 0,
    });
    this.ports.map(FWCFG_PORT, FWCFG_PORT_COUNT, this.fwcfg);
    this.disks = opts.disks ?? [];
    this.nets = opts.nets ?? [];
    const slots = attachSlots({ mmio: this.mmio, pic: this.pic, mem: this.mem, clock: this.clock, profile: this.profile, iommu: this.iommu }, this.disks, this.nets, opts.devices);
    this.slots = slots.slots;
    this.blk = slots.blk;
    this.net = slots.net;

    this.loadFirmware(opts.firmware);
    if (opts.kernel) this.loadKernel(opts.kernel, cmdline);
    this.cpu.eip = RESET_VECTOR;
  }

  /** Closes the disk and network backends (files, sockets) given to this VM. */
  close(): void {
    for (const d of this.disks) d.backend.close?.();
    for (const n of this.nets) n.close?.();
  }

  private loadFirmware(fw: Image): void {
    for (const s of fw.segments) {
      const bytes = new Uint8Array(s.memSize);
      bytes.set(s.data);
      this.mem.writeRom(s.paddr, bytes);
    }
  }

  private loadKernel(kernel: Image, cmdline: string): void {
    validateImage(kernel, { ramSize: this.mem.ramSize }, 'kernel');
    let end = KERNEL_MIN_ADDR;
    for (const s of kernel.segments) {
      if (s.memSize > 0 && s.paddr < KERNEL_MIN_ADDR) {
        throw new Error(`kernel: segment at 0x${s.paddr.toString(16)} is below 0x${KERNEL_MIN_ADDR.toString(16)}, where firmware and boot data live`);
      }
      end = Math.max(end, s.paddr + s.memSize);
    }
    loadImage(kernel, this.mem.ram, 'kernel');
    this.mem.written(0, this.mem.ramSize);
    writeBootInfo(this.mem, {
      memSize: this.mem.ramSize, cmdline, kernelEntry: kernel.entry, kernelEnd: (end + 0xfff) & ~0xfff,
      bootDevice: BOOT_NO_DEVICE,
      devices: this.slots.map((s) => ({
        mmioBase: s.base, mmioSize: VIRTIO_MMIO_STRIDE, irq: s.irq, virtioId: s.device.deviceId, sourceId: s.slot,
      })),
      iommuBase: this.iommu ? IOMMU_MMIO_BASE : 0,
      iommuIrq: this.iommu ? IOMMU_IRQ : 0,
      memmap: standardMemmap(this.mem.ramSize),
    });
  }

  /** Virtual time in nanoseconds. */
  get nowNs(): number {
    return (this.clock.now * 1e9) / this.profile.cpuHz;
  }

  /**
   * Runs until the guest powers off, shuts down, halts for good or hits the instruction limit.
   * Deterministic: nothing but the virtual clock decides what happens when.
   */
  run(): RunResult {
    return this.loop(undefined) as RunResult;
  }

  /**
   * Ends the run at the next exit (or idle wait) with stop 'interrupted' and this message: a
   * signal handler's way to stop a runAsync() run (Ctrl-C on `vamos boot`).
   */
  requestStop(message: string, stop: StopReason = 'interrupted', details?: string[]): void {
    if (this.stopRequest !== undefined) return;
    this.stopRequest = message;
    this.stopReason = stop;
    this.stopDetails = details;
    this.wake?.();
  }

  /** The CPU's state and the image's symbols, for a crash report. */
  private crashContext(): CrashContext {
    const s = this.cpu.snapshot();
    return { mem: this.mem, regs: s.regs, eip: s.eip, cr0: s.cr0, cr2: s.cr2, cr3: s.cr3, symbols: this.symbols() };
  }

  /** The hosted runtime's IDT stub reported an exception (port 0xF8): stop with a crash report. */
  private guestFault(vector: number): void {
    const crash: Crash = describeException(this.crashContext(), vector);
    this.requestStop(crash.message, 'shutdown', crash.details);
  }

  /**
   * Like run(), but gives Node's event loop a turn between slices so that host-socket backends
   * (UDP) can deliver, and, when the guest idles in hlt, waits a little real time before
   * skipping virtual time to the next timer event, so an idle server does not spin a core.
   * Not deterministic when a backend talks to the host (docs/platform.md); run() is.
   */
  async runAsync(opts: AsyncRunOptions = {}): Promise<RunResult> {
    const a: AsyncState = {
      sliceMs: opts.sliceMs ?? 4,
      sliceInstructions: opts.sliceInstructions ?? 200_000,
      idleMs: opts.idleMs ?? 1,
      maxIdleMs: Math.max(opts.maxIdleMs ?? 10, opts.idleMs ?? 1),
      lastYield: performance.now(),
      idleDebtMs: 0,
      wall: opts.clock === 'wall' ? { hostMs: performance.now(), cycles: this.clock.now } : undefined,
      virtual: opts.clock === 'virtual',
    };
    for (;;) {
      const r = this.loop(a);
      if (r === 'yield') {
        this.irqRaised = false;
        const aheadMs = a.wall === undefined ? 0 : ((this.clock.now - this.hostCycles(a.wall)) / this.profile.cpuHz) * 1e3;
        if (aheadMs >= 1) await new Promise<void>((resolve) => setTimeout(resolve, aheadMs));
        else await new Promise<void>((resolve) => setImmediate(resolve));
        // A frame that arrived while the guest ran interrupted it: an external-interrupt exit.
        if (this.irqRaised) this.account({ reason: 'external-interrupt' }, undefined, this.profile.exitCycles['external-interrupt']);
        a.lastYield = performance.now();
        continue;
      }
      if (r !== 'idle') return r;
      const stop = await this.idleAsync(a);
      if (stop !== undefined) return stop;
      a.lastYield = performance.now();
    }
  }

  /**
   * The run loop shared by run() (`a` undefined: never pauses) and runAsync(), which it leaves
   * with 'yield' when a slice of host time is used up, or 'idle' when the guest halted and no
   * interrupt is deliverable yet.
   */
  private loop(a: AsyncState | undefined): RunResult | 'yield' | 'idle' {
    const cpu = this.cpu;
    const p = this.profile;
    for (;;) {
      if (this.power.poweredOff) return this.result('poweroff', `guest powered off with exit code ${this.power.exitCode}`);
      if (this.stopRequest !== undefined) return { ...this.result(this.stopReason, this.stopRequest), details: this.stopDetails };
      if (a !== undefined && performance.now() - a.lastYield >= a.sliceMs) return 'yield';
      this.injectPending();
      const now = this.clock.now;
      const deadline = Math.min(this.clock.nextDeadline(), this.sliceEnd);
      let budget = Math.max(1, Math.ceil((deadline - now) / p.cyclesPerInstruction));
      if (this.maxInstructions > 0) {
        const left = this.maxInstructions - cpu.retired;
        if (left <= 0) return this.result('instruction-limit', `stopped after ${cpu.retired} instructions (--max-instructions)`);
        budget = Math.min(budget, left);
      }
      if (a !== undefined && !a.virtual) budget = Math.min(budget, a.sliceInstructions);
      cpu.tsc = now;
      const exit = cpu.run(budget);
      this.chargeInstructions();
      if (exit.reason === 'preemption') {
        this.endOfBudget();
        continue;
      }
      if (exit.reason === 'shutdown') {
        this.account(exit, undefined, p.exitCycles.shutdown);
        if (exit.cause !== 'triple fault') return this.result('shutdown', `guest shut down: ${exit.cause}`);
        const crash = describeTripleFault(this.crashContext(), exit.cause);
        return { ...this.result('shutdown', crash.message), details: crash.details };
      }
      this.handleExit(exit);
      if (exit.reason !== 'hlt') continue;
      if (a !== undefined && !a.virtual) {
        if (!this.power.poweredOff && !(this.pic.pendingVector() >= 0 && cpu.interruptsEnabled)) return 'idle';
      } else if (!this.waitForInterrupt()) {
        return this.halted();
      }
    }
  }

  private halted(): RunResult {
    return this.result('halted', this.cpu.interruptsEnabled
      ? 'guest halted with nothing left to wake it (no timer armed, no input pending)'
      : 'guest halted with interrupts disabled');
  }

  /**
   * runAsync's hlt. Idle virtual time is paced by host time: the virtual time skipped is
   * summed, and once it reaches `idleMs` the VMM sleeps that long, up to `maxIdleMs`, before
   * skipping on (an interrupt raised by a host event ends the sleep early); shorter gaps only
   * yield to the event loop, so a disk completion 20 us ahead costs no host millisecond. With
   * network backends and no clock event at all, wait for the host indefinitely.
   */
  private async idleAsync(a: AsyncState): Promise<RunResult | undefined> {
    if (a.wall !== undefined) return this.idleWall(a, a.wall);
    for (;;) {
      const next = this.clock.nextDeadline();
      const verdict = this.idleVerdict(next);
      if (verdict === 'run') return undefined;
      if (verdict !== 'wait') return verdict;
      if (next !== Infinity) a.idleDebtMs += ((next - this.clock.now) / this.profile.cpuHz) * 1e3;
      if (next === Infinity || a.idleDebtMs >= a.idleMs) {
        const ms = next === Infinity ? a.maxIdleMs : Math.min(a.idleDebtMs, a.maxIdleMs);
        a.idleDebtMs = 0;
        await this.sleepUnlessWoken(ms);
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.pic.pendingVector() >= 0 && this.cpu.interruptsEnabled) return undefined;
      const at = this.clock.nextDeadline();
      if (at === Infinity) continue;
      if (at > this.clock.now) this.clock.advance(at - this.clock.now);
      this.sliceEnd = Math.max(this.sliceEnd, this.clock.now + this.profile.timesliceCycles);
      this.clock.runDue();
    }
  }

  /**
   * runAsync's hlt in wall-clock mode: virtual time catches up with the host clock, then the
   * VMM sleeps in real time until the next timer event is due (or a host event raises an
   * interrupt), and runs what came due.
   */
  private async idleWall(a: AsyncState, wall: { hostMs: number; cycles: number }): Promise<RunResult | undefined> {
    const hz = this.profile.cpuHz;
    for (;;) {
      const next = this.clock.nextDeadline();
      const verdict = this.idleVerdict(next);
      if (verdict === 'run') return undefined;
      if (verdict !== 'wait') return verdict;
      const host = this.hostCycles(wall);
      if (next > host) {
        const ms = next === Infinity ? a.maxIdleMs : Math.min(a.maxIdleMs, ((next - host) / hz) * 1e3);
        await this.sleepUnlessWoken(ms);
      }
      const to = Math.min(this.hostCycles(wall), next);
      if (to > this.clock.now) this.clock.advance(to - this.clock.now);
      this.sliceEnd = Math.max(this.sliceEnd, this.clock.now + this.profile.timesliceCycles);
      this.clock.runDue();
    }
  }

  /** Wall-clock mode: the host time since the run started, as the virtual cycle it corresponds to. */
  private hostCycles(wall: { hostMs: number; cycles: number }): number {
    return wall.cycles + Math.floor(((performance.now() - wall.hostMs) * this.profile.cpuHz) / 1e3);
  }

  /** runAsync's hlt: run the guest again, wait for the host, or stop for good (given the next clock event). */
  private idleVerdict(next: number): 'run' | 'wait' | RunResult {
    if (this.power.poweredOff || this.stopRequest !== undefined) return 'run'; // the loop reports the stop
    if (this.pic.pendingVector() >= 0 && this.cpu.interruptsEnabled) return 'run';
    if (!this.cpu.interruptsEnabled) return this.halted();
    // With a host network a datagram may still wake the guest; with none, nothing will.
    if (next === Infinity && this.nets.length === 0) return this.halted();
    return 'wait';
  }

  /** A host sleep of `ms` that an interrupt raised by a host event (this.wake) ends early. */
  private sleepUnlessWoken(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** The budget ran out: a timeslice end (a preemption exit) or a device event coming due. */
  private endOfBudget(): void {
    const now = this.clock.now;
    if (now >= this.sliceEnd) {
      this.sliceEnd = now + this.profile.timesliceCycles;
      this.account({ reason: 'preemption' }, undefined, this.profile.exitCycles.preemption);
    }
    this.irqRaised = false;
    this.clock.runDue();
    // A host-side event that raised no interrupt would not have disturbed the guest at all.
    if (this.irqRaised) {
      this.account({ reason: 'external-interrupt' }, undefined, this.profile.exitCycles['external-interrupt']);
    }
  }

  private handleExit(exit: VmExit): void {
    const cpu = this.cpu;
    let device: string | undefined;
    let extra = 0;
    let inKernel = false;
    switch (exit.reason) {
      case 'io': {
        const hit = this.ports.find(exit.port);
        device = hit?.device.name;
        if (exit.write) this.ports.write(exit.port, exit.size, exit.value);
        else cpu.completeIo(this.ports.read(exit.port, exit.size));
        break;
      }
      case 'mmio': {
        if (this.mem.isRom(exit.address, exit.size)) {
          device = 'rom';
          this.romWrites++;
          break;
        }
        const hit = this.mmio.find(exit.address);
        device = hit?.device.name;
        if (exit.write) {
          // Asked before the write: the write may change whether the device takes ioeventfds.
          inKernel = hit?.device.inKernelWrite?.(exit.address - hit.base, exit.size) === true;
          this.mmio.write(exit.address, exit.size, exit.value);
        } else cpu.completeMmioRead(this.mmio.read(exit.address, exit.size));
        break;
      }
      case 'vmcall': {
        const r = this.hypercalls.dispatch(cpu.regs, exit.cpl);
        device = r.name;
        extra = r.cycles;
        break;
      }
      case 'cpuid':
        answerCpuid(cpu.regs, exit.leaf);
        break;
      case 'interrupt-window':
        cpu.wantInterruptWindow = false;
        break;
      default:
        break;
    }
    this.account(exit, device, (inKernel ? this.costs.inKernelMmio : this.costs.cost(exit)) + extra);
    this.irqRaised = false;
    this.clock.runDue();
  }

  private account(exit: VmExit, device: string | undefined, cycles: number): void {
    // Every exit but the last also costs the profile's indirect (cache/TLB pollution) figure.
    const c = Math.round(cycles + (exit.reason === 'shutdown' ? 0 : this.profile.indirectExitCycles ?? 0));
    const at = this.clock.now;
    this.clock.advance(c);
    this.stats.record(exit.reason as ExitReason, device, c);
    this.trace?.record(exit, at, this.cpu.exitEip, c, device);
    this.onExit?.(exit, c, device, at, this.cpu.exitEip);
  }

  private chargeInstructions(): void {
    const cpi = this.profile.cyclesPerInstruction;
    const r = this.cpu.retired;
    const c = Math.round(r * cpi) - Math.round(this.chargedRetired * cpi);
    this.chargedRetired = r;
    if (c > 0) this.clock.advance(c);
  }

  /** Injects the PIC's pending interrupt if the guest can take it, else asks for a window exit. */
  private injectPending(): void {
    if (this.pic.pendingVector() < 0) return;
    if (!this.cpu.interruptible) {
      this.cpu.wantInterruptWindow = true;
      return;
    }
    const vector = this.pic.acknowledge();
    this.cpu.wantInterruptWindow = false;
    this.cpu.injectInterrupt(vector);
    this.clock.advance(this.profile.interruptInjectionCycles);
  }

  /**
   * After hlt: idle in virtual time until an interrupt can be delivered. Returns false when
   * nothing can ever wake the guest.
   */
  private waitForInterrupt(): boolean {
    for (;;) {
      if (this.power.poweredOff) return true;
      if (this.pic.pendingVector() >= 0 && this.cpu.interruptsEnabled) return true;
      if (!this.cpu.interruptsEnabled) return false;
      const next = this.clock.nextDeadline();
      if (next === Infinity) return false;
      if (next > this.clock.now) this.clock.advance(next - this.clock.now);
      // Idle time is no timeslice: the host would have scheduled something else.
      this.sliceEnd = Math.max(this.sliceEnd, this.clock.now + this.profile.timesliceCycles);
      this.clock.runDue();
    }
  }

  private result(stop: StopReason, message: string): RunResult {
    return {
      stop,
      exitCode: stop === 'poweroff' ? this.power.exitCode : 0,
      message,
      instructions: this.cpu.retired,
      cycles: this.clock.now,
    };
  }
}
