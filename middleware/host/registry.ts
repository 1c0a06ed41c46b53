/**
 * The module registry: binds modules to the VM's hypercall table (HC_MODULE_OPEN and
 * HC_MODULE_CALL, docs/hypercalls.md) and does everything the guest is not trusted with:
 * validates handles, ops and guest-physical buffers before use, copies the request in and the
 * response out, and turns a module's failure into -EIO without disturbing the VMM.
 *
 * Each module has its own request and response scratch (1 MiB each, the largest buffer a call
 * moves), reused from call to call: a module that keeps a reference to a request sees the
 * next call's bytes there (zeros past their end), never guest memory and never another
 * module's data. Module calls are attributed to their module in the exit
 * table and traces (device `module/NAME`).
 */
import {
  checkGuestRange, HC_ERR, HC_MAX_BUFFER, HC_MODULE_CALL, HC_MODULE_OPEN, type HypercallArgs, type HypercallResult, type HypercallTable,
} from '../../vmm/hypercalls.js';
import type { GuestMemory } from '../../vmm/memory.js';
import { errorLine, type HypervisorModule } from './module.js';

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

/**
 * A registered module: its scratch (one fixed buffer each way, allocated at its first call) and
 * its device label. `used` is how much of the request scratch the last call filled, so that a
 * shorter request clears the rest. `failed` says why the module stopped being called.
 */
interface Slot {
  readonly module: HypervisorModule;
  readonly device: string;
  request: Uint8Array | undefined;
  response: Uint8Array | undefined;
  used: number;
  failed: string | undefined;
}

/** The most virtual time one call may claim: about six minutes at 3 GHz. More is a module bug. */
export const MODULE_MAX_CALL_CYCLES = 2 ** 40;
/** Statuses a module may return: a byte count, or an errno-style code down to -4095 (as Linux's). */
export const MODULE_MIN_STATUS = -4095;

/** The exit table's device column for calls served by the module `name`. */
export function moduleDevice(name: string): string {
  return `module/${name}`;
}

export class ModuleRegistry {
  private readonly modules: Slot[] = [];
  /** After closeAll: calls fail with -EIO, and closing again does nothing. */
  private closed = false;
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
    this.modules.push({ module, device: moduleDevice(module.name), request: undefined, response: undefined, used: 0, failed: undefined });
    this.byName.set(module.name, handle);
    this.stats.set(module.name, { calls: 0, errors: 0, failures: 0, requestBytes: 0, responseBytes: 0, cycles: 0 });
    return handle;
  }

  get(name: string): HypervisorModule | undefined {
    const h = this.byName.get(name);
    return h === undefined ? undefined : this.modules[h]!.module;
  }

  /**
   * Closes every module once; a close that throws is one line through onFailure (and in
   * `failures`), never an exception: the run's statistics and trace still get written.
   */
  closeAll(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.modules) {
      const m = s.module;
      if (m.close === undefined) continue;
      try {
        m.close();
      } catch (e) {
        this.report(`module ${m.name}: close failed: ${errorLine(e)}`);
      }
    }
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
    const device = slot.device;
    if (this.closed) return { value: HC_ERR.EIO, device };
    const mem = this.host.mem;
    const bad = checkGuestRange(mem.ramSize, reqGpa, reqLen) || checkGuestRange(mem.ramSize, respGpa, respCap);
    if (bad !== 0) {
      const st = this.stats.get(slot.module.name)!;
      st.calls++;
      st.errors++;
      return { value: bad, device };
    }
    const r = this.invoke(handle, op, mem.ram.subarray(reqGpa, reqGpa + reqLen), respCap);
    if (r.status > 0) {
      mem.ram.set(r.response.subarray(0, r.status), respGpa);
      mem.written(respGpa, r.status);
    }
    return { value: r.status, cycles: r.cycles, device };
  }

  /** The handle of a registered module, or undefined. */
  handleOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  /**
   * One operation of module `handle` with the request already out of the guest: MODULE_CALL
   * without the guest-memory part, for the module channel (devices/virtio/modchan) as well.
   * The same checks, failure policy and statistics; `cycles` is the copies in and out (a
   * word-at-a-time loop at the guest's rate) plus the module's own work. `response` is the
   * slot's scratch, valid until the next call.
   */
  invoke(handle: number, op: number, requestBytes: Uint8Array, respCap: number): { status: number; cycles: number; response: Uint8Array } {
    const slot = this.modules[handle];
    const none = new Uint8Array(0);
    if (slot === undefined) return { status: HC_ERR.EINVAL, cycles: 0, response: none };
    if (this.closed) return { status: HC_ERR.EIO, cycles: 0, response: none };
    const { module, device } = slot;
    const st = this.stats.get(module.name)!;
    st.calls++;
    const reqLen = requestBytes.length;
    if (reqLen > HC_MAX_BUFFER || respCap > HC_MAX_BUFFER) {
      st.errors++;
      return { status: HC_ERR.EINVAL, cycles: 0, response: none };
    }
    const copyIn = this.copyCycles(reqLen);
    st.requestBytes += reqLen;
    if (slot.failed !== undefined) {
      st.failures++;
      st.cycles += copyIn;
      return { status: HC_ERR.EIO, cycles: copyIn, response: none };
    }
    slot.request ??= new Uint8Array(HC_MAX_BUFFER);
    slot.response ??= new Uint8Array(HC_MAX_BUFFER);
    slot.request.set(requestBytes);
    if (slot.used > reqLen) slot.request.fill(0, reqLen, slot.used);
    slot.used = reqLen;
    const request = slot.request.subarray(0, reqLen);
    const response = slot.response.subarray(0, respCap);
    response.fill(0);
    const failed = (why: string, cycles: number) => ({ status: this.fail(slot, st, why, cycles, device).value, cycles, response: none });
    let status: unknown, cycles: unknown;
    try {
      ({ status, cycles } = module.call(op, request, response));
    } catch (e) {
      return failed(`call failed: ${errorLine(e)}`, copyIn);
    }
    if (typeof cycles !== 'number' || !(cycles >= 0 && cycles <= MODULE_MAX_CALL_CYCLES)) {
      return failed(`call returned a cost of ${String(cycles)} cycles (a call is synchronous and costs 0..2^40 cycles)`, copyIn);
    }
    if (typeof status !== 'number' || !Number.isInteger(status) || status < MODULE_MIN_STATUS || status > respCap) {
      return failed(`call returned status ${String(status)} (expected ${MODULE_MIN_STATUS}..${respCap}: an error code or the bytes of a ${respCap}-byte response)`, copyIn + cycles);
    }
    if (status < 0) st.errors++;
    if (module.kind === 'image' && status === HC_ERR.EIO) {
      const why = (module as { failure?: string }).failure;
      if (why !== undefined) return failed(why, copyIn + cycles);
    }
    const out = Math.max(0, status);
    const total = copyIn + this.copyCycles(out) + cycles;
    st.responseBytes += out;
    st.cycles += total;
    return { status, cycles: total, response };
  }

  /**
   * A module that fails (throws, returns an impossible status or cost, or, for an image, faults
   * or runs past its budget) stays failed: its later calls get -EIO without reaching it, and the
   * user gets one line naming it.
   */
  private fail(slot: Slot, st: ModuleCallStats, why: string, cycles: number, device: string): HypercallResult {
    slot.failed = why;
    st.failures++;
    st.cycles += cycles;
    this.report(`module ${slot.module.name}: ${why}`);
    return { value: HC_ERR.EIO, cycles, device };
  }

  private report(line: string): void {
    this.failures.push(line);
    this.opts.onFailure?.(line);
  }
}
