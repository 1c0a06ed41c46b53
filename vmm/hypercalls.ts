/**
 * The hypercall table: `vmcall` with the call number in eax and arguments in ebx, ecx, edx,
 * esi, edi; the result comes back in eax, negative errno values for errors (docs/hypercalls.md).
 * Calls from ring 3 are refused before any handler runs.
 */
export const HC_ERR = {
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  EFAULT: -14,
  EINVAL: -22,
  ENOSYS: -38,
  EMSGSIZE: -90,
} as const;

export const HYPERCALL_ABI_VERSION = 1;
/** () → HYPERCALL_ABI_VERSION. */
export const HC_VERSION = 0;
/** (name gpa, name length) → a module handle (≥ 0), or -ENOENT. */
export const HC_MODULE_OPEN = 1;
/** (handle << 16 | op, request gpa, request length, response gpa, response capacity) → response length. */
export const HC_MODULE_CALL = 2;

/** The largest request or response a module call moves (one buffer each way). */
export const HC_MAX_BUFFER = 1 << 20;

/**
 * Checks a guest-physical buffer named by a hypercall before anything touches it: the whole range
 * must be RAM and no longer than HC_MAX_BUFFER. Returns 0 or the error for eax.
 */
export function checkGuestRange(ramSize: number, gpa: number, len: number): number {
  const a = gpa >>> 0, n = len >>> 0;
  if (n > HC_MAX_BUFFER) return HC_ERR.EINVAL;
  if (a + n > ramSize) return HC_ERR.EFAULT;
  return 0;
}

export interface HypercallArgs {
  readonly nr: number;
  readonly args: readonly number[];
}

export interface HypercallResult {
  /** Value for eax. */
  readonly value: number;
  /** Hypervisor work the call did, in cycles, on top of the profile's dispatch cost. */
  readonly cycles?: number;
  /**
   * Who served the call, for the exit table's device column and the trace, when it is more
   * specific than the call's name (a module call names its module: `module/NAME`).
   */
  readonly device?: string;
}

export type HypercallHandler = (call: HypercallArgs) => HypercallResult;

export interface HypercallEntry {
  readonly name: string;
  readonly handler: HypercallHandler;
}

export class HypercallTable {
  private readonly entries = new Map<number, HypercallEntry>();
  /** Calls per name (or serving device), for the report; refused calls are counted as 'refused'. */
  readonly counts = new Map<string, number>();

  constructor() {
    this.register(HC_VERSION, 'version', () => ({ value: HYPERCALL_ABI_VERSION }));
  }

  register(nr: number, name: string, handler: HypercallHandler): void {
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) throw new Error(`hypercall ${name}: bad number ${nr}`);
    if (this.entries.has(nr)) throw new Error(`hypercall ${nr} (${name}) is already registered as ${this.entries.get(nr)!.name}`);
    this.entries.set(nr, { name, handler });
  }

  /** Dispatches one call; regs is the vCPU's register file (eax..edi), eax is overwritten. */
  dispatch(regs: Int32Array, cpl: number): { name: string; cycles: number } {
    const nr = regs[0] >>> 0;
    const entry = this.entries.get(nr);
    let name: string;
    let result: HypercallResult;
    if (cpl !== 0) {
      name = 'refused';
      result = { value: HC_ERR.EPERM };
    } else if (entry === undefined) {
      name = 'unknown';
      result = { value: HC_ERR.ENOSYS };
    } else {
      result = entry.handler({ nr, args: [regs[3], regs[1], regs[2], regs[6], regs[7]] });
      name = result.device ?? entry.name;
    }
    regs[0] = result.value;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    return { name, cycles: result.cycles ?? 0 };
  }
}
