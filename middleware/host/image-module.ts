/**
 * A module built from guest C, run by the VMM in a hypervisor context (docs/modules.md): its own
 * flat memory, its own vCPU at ring 0 with paging off, no devices and no interrupts. The guest
 * is stopped in its vmcall while the module works, so nothing here is a VM exit; the module's
 * instructions are charged at the guest's rate and its host calls by the cost profile.
 *
 * The module's runtime (middleware/runtime/modrt.s) gives two entry points, `_start` for
 * module_init and `__modrt_call` for module_call, both ending in the HOST_RETURN host call.
 * Anything else that stops the vCPU (in/out, a fault with no IDT, hlt, an access outside its
 * memory, running past its instruction budget) is a module failure: the call returns -EIO and
 * the module stays failed; the guest and the VMM go on.
 */
import type { Image } from '../../toolchain/image/format.js';
import { loadImage } from '../../toolchain/image/load.js';
import { Vcpu } from '../../vmm/cpu/cpu.js';
import { HC_ERR } from '../../vmm/hypercalls.js';
import { GuestMemory } from '../../vmm/memory.js';
import type { CostProfile } from '../../vmm/profile.js';
import type { BlockBackend } from '../../devices/virtio/blk/backend.js';
import { HostCalls, HOST_EXIT, HOST_RETURN } from './hostcalls.js';
import type { HypervisorModule, ModuleResult } from './module.js';

export const MODULE_MEM_DEFAULT = 16 << 20;
/** Request and response windows at the top of module memory, 1 MiB each (HC_MAX_BUFFER). */
export const CALL_WINDOW = 1 << 20;
export const MODULE_STACK = 256 << 10;
export const MODULE_BUDGET_DEFAULT = 200_000_000;

const ESP = 4, EAX = 0, ECX = 1, EBX = 3;

export interface ImageModuleOptions {
  name: string;
  image: Image;
  profile: CostProfile;
  /** The module's volume for HOST_BLK_*; absent: those calls fail with -ENOSYS. */
  volume?: BlockBackend;
  memSize?: number;
  /** Most instructions one call (or init) may run. */
  budget?: number;
  /** Module log lines (HOST_LOG, printf). */
  log?: (line: string) => void;
  /** The VM's virtual time in cycles (HOST_TIME_NS); default 0. */
  now?: () => number;
}

export class ImageModule implements HypervisorModule {
  readonly kind = 'image';
  readonly name: string;
  readonly mem: GuestMemory;
  readonly cpu: Vcpu;
  /** Instructions the module ran over its life (init included). */
  instructions = 0;
  /** Why the module failed, once it has. */
  failure: string | undefined;
  /** The module's host calls and their counters (block I/O for the experiment's figures). */
  readonly host: HostCalls;
  private readonly callEntry: number;
  private readonly budget: number;
  private readonly requestAt: number;
  private readonly responseAt: number;
  private readonly stackTop: number;

  constructor(private readonly opts: ImageModuleOptions) {
    this.name = opts.name;
    const memSize = opts.memSize ?? MODULE_MEM_DEFAULT;
    this.mem = new GuestMemory(memSize);
    this.requestAt = memSize - 2 * CALL_WINDOW;
    this.responseAt = memSize - CALL_WINDOW;
    this.stackTop = this.requestAt;
    const source = `module ${opts.name}`;
    let end = 0;
    for (const s of opts.image.segments) end = Math.max(end, s.paddr + s.memSize);
    const heapBase = (end + 0xfff) & ~0xfff;
    const heapEnd = this.stackTop - MODULE_STACK;
    if (heapBase >= heapEnd) throw new Error(`${source}: image (ends at 0x${end.toString(16)}) leaves no room for heap and stack in ${memSize} bytes`);
    loadImage(opts.image, this.mem.ram, source);
    this.mem.written(0, this.mem.ramSize);
    const call = opts.image.symbols.find((s) => s.name === '__modrt_call');
    if (call === undefined) throw new Error(`${source}: no __modrt_call symbol (link middleware/runtime/modrt.s)`);
    this.callEntry = call.value;
    this.budget = opts.budget ?? MODULE_BUDGET_DEFAULT;
    this.cpu = new Vcpu(this.mem);
    this.cpu.cpi = opts.profile.cyclesPerInstruction;
    this.host = new HostCalls(this.mem, opts.profile, opts.volume, opts.log, opts.now);

    this.cpu.regs[EAX] = heapBase;
    this.cpu.regs[ECX] = heapEnd - heapBase;
    this.cpu.regs[ESP] = this.stackTop;
    this.cpu.eip = opts.image.entry;
    const r = this.execute();
    if (this.failure !== undefined) throw new Error(`${source}: init failed: ${this.failure}`);
    if (r.value < 0) throw new Error(`${source}: module_init returned ${r.value}`);
  }

  call(op: number, request: Uint8Array, response: Uint8Array): ModuleResult {
    if (this.failure !== undefined) return { status: HC_ERR.EIO, cycles: 0 };
    const ram = this.mem.ram;
    ram.set(request, this.requestAt);
    const args = [op, this.requestAt, request.length, this.responseAt, response.length];
    const sp = this.stackTop - 4 * args.length;
    args.forEach((v, k) => { this.mem.ram32[(sp >>> 2) + k] = v | 0; });
    this.mem.written(this.requestAt, request.length);
    this.mem.written(sp, 4 * args.length);
    this.cpu.regs[ESP] = sp;
    this.cpu.eip = this.callEntry;
    const r = this.execute();
    if (this.failure !== undefined) return { status: HC_ERR.EIO, cycles: r.cycles };
    const status = r.value > response.length ? HC_ERR.EIO : r.value;
    if (r.value > response.length) this.fail(`module_call returned ${r.value} for a ${response.length}-byte response`);
    if (status > 0) response.set(ram.subarray(this.responseAt, this.responseAt + status));
    return { status, cycles: r.cycles };
  }

  /** Flushes and releases the volume; a second close does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.flushLog();
    this.opts.volume?.flush();
    this.opts.volume?.close?.();
  }
  private closed = false;

  /** The registry reports the failure (one line naming the module); the module stays failed. */
  private fail(why: string): void {
    this.failure = why;
  }

  /** Runs the vCPU until HOST_RETURN; returns the C function's value and the cycles spent. */
  private execute(): { value: number; cycles: number } {
    const cpu = this.cpu;
    const start = cpu.retired;
    let hostCycles = 0;
    this.host.begin();
    for (;;) {
      const left = this.budget - (cpu.retired - start);
      if (left <= 0) {
        this.fail(`ran past its budget of ${this.budget} instructions`);
        break;
      }
      const exit = cpu.run(left);
      if (exit.reason === 'preemption') continue;
      if (exit.reason === 'vmcall') {
        const nr = cpu.regs[EAX] >>> 0;
        if (nr === HOST_RETURN) return this.finish(start, hostCycles, cpu.regs[EBX]);
        if (nr === HOST_EXIT) {
          this.fail(`exited with status ${cpu.regs[EBX]}`);
          break;
        }
        hostCycles += this.host.dispatch(cpu.regs, (cpu.retired - start) * this.opts.profile.cyclesPerInstruction);
        continue;
      }
      this.fail(describeExit(exit, cpu.exitEip));
      break;
    }
    return this.finish(start, hostCycles, HC_ERR.EIO);
  }

  private finish(start: number, hostCycles: number, value: number): { value: number; cycles: number } {
    const ran = this.cpu.retired - start;
    this.instructions += ran;
    return { value, cycles: Math.round(ran * this.opts.profile.cyclesPerInstruction) + hostCycles };
  }
}

function describeExit(exit: ReturnType<Vcpu['run']>, eip: number): string {
  const at = `at eip 0x${(eip >>> 0).toString(16)}`;
  switch (exit.reason) {
    case 'io': return `executed port I/O (port 0x${exit.port.toString(16)}) ${at}: modules have no devices`;
    case 'mmio': return `accessed 0x${(exit.address >>> 0).toString(16)}, outside its memory, ${at}`;
    case 'hlt': return `halted ${at}`;
    case 'shutdown': return `${exit.cause} ${at}`;
    default: return `stopped with a ${exit.reason} exit ${at}`;
  }
}
