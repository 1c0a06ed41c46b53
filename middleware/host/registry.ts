/**
 * The module registry: binds modules to the VM's hypercall table (HC_MODULE_OPEN and
 * HC_MODULE_CALL, docs/hypercalls.md) and does everything the guest is not trusted with:
 * validates handles, ops and guest-physical buffers before use, copies the request in and the
 * response out, and turns a module's failure into -EIO without disturbing the VMM.
 *
 * Each module has its own request and response scratch, reused from call to call: a module
 * that keeps a reference to a request sees the next call's bytes there, never guest memory,
 * and never another module's data. Module calls are attributed to their module in the exit
 * table and traces (device `module/NAME`).
 */
import {
  checkGuestRange, HC_ERR, HC_MODULE_CALL, HC_MODULE_OPEN, type HypercallArgs, type HypercallResult, type HypercallTable,
} from '../../vmm/hypercalls.js';
import type { GuestMemory } from '../../vmm/memory.js';
import type { HypervisorModule } from './module.js';

/** Longest module name the guest may ask for. */
export const MODULE_NAME_MAX = 64;

export interface ModuleCallStats {
  calls: number;
  errors: number;
  failures: number;
  requestBytes: number;
  responseBytes: number;
  cycles: number;
}

export interface RegistryHost {
  readonly hypercalls: HypercallTable;
  readonly mem: GuestMemory;
  readonly profile: { readonly cyclesPerInstruction: number };
}

export interface RegistryOptions {
  /** Called once per module failure with one line naming the module (the CLI prints it). */
  onFailure?: (line: string) => void;
}

/** A module's scratch buffers (grown on demand, never shrunk) and its device label. */
interface Slot {
  readonly module: HypervisorModule;
  readonly device: string;
  request: Uint8Array;
  response: Uint8Array;
}

/** The exit table's device column for calls served by the module `name`. */
export function moduleDevice(name: string): string {
  return `module/${name}`;
}

export class ModuleRegistry {
  private readonly modules: Slot[] = [];
  private readonly byName = new Map<string, number>();
  readonly stats = new Map<string, ModuleCallStats>();
  /** Every failure reported by a module call, one line each naming the module. */
  readonly failures: string[] = [];

  constructor(private readonly host: RegistryHost, private readonly opts: RegistryOptions = {}) {
    host.hypercalls.register(HC_MODULE_OPEN, 'module-open', (c) => this.open(c));
    host.hypercalls.register(HC_MODULE_CALL, 'module-call', (c) => this.call(c));
  }

  add(module: HypervisorModule): number {
    if (this.byName.has(module.name)) throw new Error(`module '${module.name}' is registered twice`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(module.name)) throw new Error(`module name '${module.name}' must be 1-64 of [A-Za-z0-9_.-]`);
    const handle = this.modules.length;
    this.modules.push({ module, device: moduleDevice(module.name), request: new Uint8Array(0), response: new Uint8Array(0) });
    this.byName.set(module.name, handle);
    this.stats.set(module.name, { calls: 0, errors: 0, failures: 0, requestBytes: 0, responseBytes: 0, cycles: 0 });
    return handle;
  }

  get(name: string): HypervisorModule | undefined {
    const h = this.byName.get(name);
    return h === undefined ? undefined : this.modules[h]!.module;
  }

  /** The registered modules' names, in handle order. */
  names(): string[] {
    return this.modules.map((s) => s.module.name);
  }

  closeAll(): void {
    for (const s of this.modules) s.module.close?.();
  }

  /** Copying a buffer is charged as a word-at-a-time copy loop at the guest's instruction rate. */
  private copyCycles(bytes: number): number {
    return Math.ceil(bytes / 4) * this.host.profile.cyclesPerInstruction;
  }

  private open(c: HypercallArgs): HypercallResult {
    const [gpa, len] = c.args;
    const n = len >>> 0;
    if (n === 0 || n > MODULE_NAME_MAX) return { value: HC_ERR.EINVAL };
    const bad = checkGuestRange(this.host.mem.ramSize, gpa, n);
    if (bad !== 0) return { value: bad };
    const name = Buffer.from(this.host.mem.ram.subarray(gpa >>> 0, (gpa >>> 0) + n)).toString('latin1');
    const handle = this.byName.get(name);
    return { value: handle ?? HC_ERR.ENOENT, cycles: this.copyCycles(n) };
  }

  private call(c: HypercallArgs): HypercallResult {
    const [handleOp, reqGpa, reqLen, respGpa, respCap] = c.args.map((v) => v >>> 0);
    const handle = handleOp >>> 16, op = handleOp & 0xffff;
    const slot = this.modules[handle];
    if (slot === undefined) return { value: HC_ERR.EINVAL };
    const { module, device } = slot;
    const st = this.stats.get(module.name)!;
    st.calls++;
    const mem = this.host.mem;
    const bad = checkGuestRange(mem.ramSize, reqGpa, reqLen) || checkGuestRange(mem.ramSize, respGpa, respCap);
    if (bad !== 0) {
      st.errors++;
      return { value: bad, device };
    }
    if (slot.request.length < reqLen) slot.request = new Uint8Array(reqLen);
    if (slot.response.length < respCap) slot.response = new Uint8Array(respCap);
    const request = slot.request.subarray(0, reqLen);
    const response = slot.response.subarray(0, respCap);
    request.set(mem.ram.subarray(reqGpa, reqGpa + reqLen));
    response.fill(0);
    let status: number, cycles: number;
    try {
      ({ status, cycles } = module.call(op, request, response));
    } catch (e) {
      this.failed(st, `module ${module.name}: call failed: ${firstLine(e)}`);
      return { value: HC_ERR.EIO, cycles: this.copyCycles(reqLen), device };
    }
    if (!Number.isInteger(status) || status > respCap || !Number.isFinite(cycles)) {
      const what = !Number.isFinite(cycles) ? `a cost of ${String(cycles)} cycles` : `status ${String(status)} for a response of at most ${respCap} bytes`;
      this.failed(st, `module ${module.name}: call returned ${what}`);
      return { value: HC_ERR.EIO, cycles: this.copyCycles(reqLen) + (Number.isFinite(cycles) ? Math.max(0, cycles) : 0), device };
    }
    if (status < 0) st.errors++;
    if (module.kind === 'image' && status === HC_ERR.EIO) this.noteImageFailure(module, st);
    const out = Math.max(0, status);
    if (out > 0) mem.ram.set(response.subarray(0, out), respGpa);
    const total = this.copyCycles(reqLen) + this.copyCycles(out) + Math.max(0, cycles);
    st.requestBytes += reqLen;
    st.responseBytes += out;
    st.cycles += total;
    return { value: status, cycles: total, device };
  }

  private failed(st: ModuleCallStats, line: string): void {
    st.failures++;
    this.failures.push(line);
    this.opts.onFailure?.(line);
  }

  /** An image module that failed says why once (image-module.ts keeps it failed afterwards). */
  private noteImageFailure(module: HypervisorModule, st: ModuleCallStats): void {
    const why = (module as { failure?: string }).failure;
    if (why === undefined || st.failures > 0) return;
    this.failed(st, `module ${module.name}: ${why}`);
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}
