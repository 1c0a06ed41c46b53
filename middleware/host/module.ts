/**
 * Hypervisor-resident modules (docs/modules.md): code the guest reaches with one hypercall per
 * whole operation. Two kinds implement the same interface: images built from guest C and run
 * by the VMM in a hypervisor context (image-module.ts), and TypeScript objects that charge
 * their own costs.
 *
 * A module never sees guest memory: the host copies the call's request out of the guest before
 * the call and copies the response in after it, so "a module touches guest memory only through
 * the buffers of the current call" holds by construction.
 */

export interface ModuleResult {
  /** ≥ 0: bytes of `response` filled; < 0: an error for the guest (HC_ERR's values). */
  readonly status: number;
  /** Virtual cycles the module's work took (instructions, host I/O), charged to the call. */
  readonly cycles: number;
}

export interface HypervisorModule {
  readonly name: string;
  readonly kind: 'image' | 'ts';
  /**
   * One operation. `request` is a copy of the guest's request buffer; `response` is scratch of
   * the guest's response capacity, copied back up to `status` bytes. Must not throw for bad
   * input: return a negative status instead. A throw is treated as a module failure (-EIO).
   */
  call(op: number, request: Uint8Array, response: Uint8Array): ModuleResult;
  /** Makes everything the module wrote durable and releases host resources. */
  close?(): void;
}

/** What a TypeScript module file exports: `export function createModule(env): HypervisorModule`. */
export interface ModuleEnv {
  /** The name the module is registered under (`--module name=path`). */
  readonly name: string;
  /** Options from the spec (`--module name=path,key=value,...`). */
  readonly options: Readonly<Record<string, string>>;
  /** The cost profile's clock rate, for modules that charge time. */
  readonly cpuHz: number;
  readonly cyclesPerInstruction: number;
}

/** An error's first line: what a module's failure or a load error shows the user. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}
