/**
 * The module registry: binds modules to the VM's hypercall table (HC_MODULE_OPEN and
 * HC_MODULE_CALL, docs/hypercalls.md) and does everything the guest is not trusted with:
 * validates handles, ops and guest-physical buffers before use, copies the request in and the
 * response out, and turns a module's failure into -EIO without disturbing the VMM.
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

export class ModuleRegistry {
  private readonly modules: HypervisorModule[] = [];
  private readonly byName = new Map<string, number>();
  readonly stats = new Map<string, ModuleCallStats>();
  /** The last failure of each module, for the VMM's log. */
  readonly failures: string[] = [];

  constructor(private readonly host: RegistryHost) {
    host.hypercalls.register(HC_MODULE_OPEN, 'module-open', (c) => this.open(c));
    host.hypercalls.register(HC_MODULE_CALL, 'module-call', (c) => this.call(c));
  }

  add(module: HypervisorModule): number {
    if (this.byName.has(module.name)) throw new Error(`module '${module.name}' is registered twice`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(module.name)) throw new Error(`module name '${module.name}' must be 1-64 of [A-Za-z0-9_.-]`);
    const handle = this.modules.length;
    this.modules.push(module);
    this.byName.set(module.name, handle);
    this.stats.set(module.name, { calls: 0, errors: 0, failures: 0, requestBytes: 0, responseBytes: 0, cycles: 0 });
    return handle;
  }

  get(name: string): HypervisorModule | undefined {
    const h = this.byName.get(name);
    return h === undefined ? undefined : this.modules[h];
  }

  closeAll(): void {
    for (const m of this.modules) m.close?.();
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
    const module = this.modules[handle];
    if (module === undefined) return { value: HC_ERR.EINVAL };
    const st = this.stats.get(module.name)!;
    st.calls++;
    const mem = this.host.mem;
    const bad = checkGuestRange(mem.ramSize, reqGpa, reqLen) || checkGuestRange(mem.ramSize, respGpa, respCap);
    if (bad !== 0) {
      st.errors++;
      return { value: bad };
    }
    const request = mem.ram.slice(reqGpa, reqGpa + reqLen);
    const response = new Uint8Array(respCap);
    let status: number, cycles: number;
    try {
      ({ status, cycles } = module.call(op, request, response));
    } catch (e) {
      st.failures++;
      this.failures.push(`module ${module.name}: ${(e as Error).message.split('\n')[0]}`);
      return { value: HC_ERR.EIO, cycles: this.copyCycles(reqLen) };
    }
    if (!Number.isInteger(status) || status > respCap) {
      st.failures++;
      this.failures.push(`module ${module.name}: returned ${status} for a response of at most ${respCap} bytes`);
      return { value: HC_ERR.EIO, cycles: this.copyCycles(reqLen) + cycles };
    }
    if (status < 0) st.errors++;
    const out = Math.max(0, status);
    if (out > 0) mem.ram.set(response.subarray(0, out), respGpa);
    const total = this.copyCycles(reqLen) + this.copyCycles(out) + Math.max(0, cycles);
    st.requestBytes += reqLen;
    st.responseBytes += out;
    st.cycles += total;
    return { value: status, cycles: total };
  }
}
