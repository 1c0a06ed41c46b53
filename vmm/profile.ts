/**
 * Cost profiles: how virtual time is charged (design §4, docs/cost-model.md). A profile is a
 * JSON file; the built-ins live in profiles/ at the repository root.
 */
import { readHostText } from './host-file.js';
import { projectFile } from './paths.js';
import { EXIT_REASONS, type ExitReason, type VmExit } from './exits.js';

export type ExitClass = 'light' | 'heavy';

export interface CostProfile {
  name: string;
  description: string;
  /** Converts virtual cycles to virtual nanoseconds; never the host's speed. */
  cpuHz: number;
  /** One figure for every guest instruction (and for hypervisor-resident module code). */
  cyclesPerInstruction: number;
  /** Direct cost of the exit/entry round trip, handled in the kernel. */
  exitCycles: Record<ExitReason, number>;
  exitClass: Record<ExitReason, ExitClass>;
  /** Added to a heavy exit: the return to the user-space device model and back. */
  userspaceExitExtraCycles: number;
  /** Ports emulated "in the kernel" (PIC, timer): io exits on them are light despite exitClass.io. */
  lightPorts: number[];
  portIoDeviceCycles: number;
  mmioDeviceCycles: number;
  interruptInjectionCycles: number;
  /** Hypervisor work to dispatch one vmcall, before the called module charges its own work. */
  hypercallCycles: number;
  /** Host scheduler preemption interval: the vCPU's run budget. */
  timesliceCycles: number;
  disk: { latencyNsPerRequest: number; nsPerByte: number };
  /**
   * Optional indirect cost of every exit (cache and TLB pollution the guest pays after
   * re-entry; SplitX, WIOV 2011, measured it at up to ten times the direct cost). Absent (0) in
   * the sourced profiles; `vamos bench sensitivity` varies it.
   */
  indirectExitCycles?: number;
  net: { latencyNs: number; nsPerByte: number };
  /**
   * Optional (default 'vcpu'): where the virtio-blk and module-channel backends handle a queue
   * notification. 'vcpu': synchronously in the user-space device model, on the vCPU's thread
   * (a heavy MMIO exit), as qemu-kvm did before ioeventfd. 'iothread': the notification is an
   * ioeventfd (a light exit, completed in the kernel) and a host I/O thread does the device
   * model's work before the requests reach the disk or the module (docs/virtio.md).
   */
  virtioIo?: VirtioIo;
}

export type VirtioIo = 'vcpu' | 'iothread';

export const BUILTIN_PROFILES = ['nehalem-2011', 'nehalem-2011-pagecache', 'modern'] as const;
export const DEFAULT_PROFILE = 'nehalem-2011';

/** Whether this exit goes to user space under the profile. */
export function isHeavyExit(p: CostProfile, exit: VmExit): boolean {
  if (p.exitClass[exit.reason] !== 'heavy') return false;
  return !(exit.reason === 'io' && p.lightPorts.includes(exit.port));
}

/**
 * Virtual cycles one exit costs, from the exit to the re-entry: round trip, the user-space trip
 * if heavy, and the device model's or hypercall dispatcher's own work. Device service times
 * (disk, network) and interrupt injection are charged separately by whoever incurs them.
 */
export function exitCost(p: CostProfile, exit: VmExit): number {
  let c = p.exitCycles[exit.reason];
  if (isHeavyExit(p, exit)) c += p.userspaceExitExtraCycles;
  if (exit.reason === 'io') c += p.portIoDeviceCycles;
  else if (exit.reason === 'mmio') c += p.mmioDeviceCycles;
  else if (exit.reason === 'vmcall') c += p.hypercallCycles;
  return c;
}

/**
 * An MMIO write the kernel completes itself (an ioeventfd, `virtioIo: 'iothread'`): the exit's
 * round trip only, with no user-space trip and no device-model work on the vCPU.
 */
export function inKernelMmioCost(p: CostProfile): number {
  return p.exitCycles.mmio;
}

/**
 * The host work an ioeventfd moves from the vCPU to the I/O thread: exactly what the heavy
 * notification exit would have charged beyond its round trip (the trip to the user-space
 * device model and the model's work), so the two placements do the same host work and differ
 * only in who waits for it.
 */
export function ioeventfdKickCycles(p: CostProfile): number {
  return p.userspaceExitExtraCycles + p.mmioDeviceCycles;
}

/**
 * exitCost() precomputed, for the run loop: one array load per exit instead of walking the
 * profile (io costs depend on the port, because in-kernel ports are light).
 */
export class ExitCostTable {
  private readonly byReason = new Map<ExitReason, number>();
  private readonly ioByPort = new Float64Array(0x10000);
  /** An MMIO write completed in the kernel (inKernelMmioCost). */
  readonly inKernelMmio: number;

  constructor(p: CostProfile) {
    this.inKernelMmio = inKernelMmioCost(p);
    for (const r of EXIT_REASONS) {
      if (r !== 'io') this.byReason.set(r, exitCost(p, { reason: r } as VmExit));
    }
    for (let port = 0; port < 0x10000; port++) {
      this.ioByPort[port] = exitCost(p, { reason: 'io', port, size: 1, write: true, value: 0 });
    }
  }

  cost(exit: VmExit): number {
    return exit.reason === 'io' ? this.ioByPort[exit.port] : this.byReason.get(exit.reason)!;
  }
}

export function cyclesToNs(p: CostProfile, cycles: number): number {
  return (cycles * 1e9) / p.cpuHz;
}

/** Rounded up so that a non-zero latency never becomes zero cycles. */
export function nsToCycles(p: CostProfile, ns: number): number {
  return Math.ceil((ns * p.cpuHz) / 1e9);
}

export function loadProfile(nameOrPath: string = DEFAULT_PROFILE): CostProfile {
  const file = resolveProfile(nameOrPath);
  let text: string;
  try {
    text = readHostText(file);
  } catch (e) {
    throw new Error(`profile ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`profile ${file}: bad JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateProfile(json, file);
}

function resolveProfile(nameOrPath: string): string {
  if ((BUILTIN_PROFILES as readonly string[]).includes(nameOrPath)) {
    return projectFile('profiles', `${nameOrPath}.json`);
  }
  if (!/[\\/]|\.json$/i.test(nameOrPath)) {
    throw new Error(
      `profile ${nameOrPath}: unknown profile (built-in: ${BUILTIN_PROFILES.join(', ')}; or give a path to a .json file)`,
    );
  }
  return nameOrPath;
}

type Check = (v: unknown) => string | undefined;

const nonNegative: Check = (v) =>
  typeof v !== 'number' || !Number.isFinite(v) ? 'must be a number' : v < 0 ? `must not be negative (got ${v})` : undefined;
const positive: Check = (v) => nonNegative(v) ?? (v === 0 ? 'must be greater than 0' : undefined);
const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const exitClass: Check = (v) => (v === 'light' || v === 'heavy' ? undefined : `must be "light" or "heavy" (got ${JSON.stringify(v)})`);
const portList: Check = (v) =>
  Array.isArray(v) && v.every((p) => Number.isInteger(p) && p >= 0 && p <= 0xffff)
    ? undefined
    : 'must be an array of port numbers 0..65535';

/** Field path → check. Every field is required: a profile is a complete statement of costs. */
const SCHEMA: [string, Check][] = [
  ['name', text],
  ['description', text],
  ['cpuHz', positive],
  ['cyclesPerInstruction', nonNegative],
  ...EXIT_REASONS.map((r): [string, Check] => [`exitCycles.${r}`, nonNegative]),
  ...EXIT_REASONS.map((r): [string, Check] => [`exitClass.${r}`, exitClass]),
  ['userspaceExitExtraCycles', nonNegative],
  ['lightPorts', portList],
  ['portIoDeviceCycles', nonNegative],
  ['mmioDeviceCycles', nonNegative],
  ['interruptInjectionCycles', nonNegative],
  ['hypercallCycles', nonNegative],
  ['timesliceCycles', positive],
  ['disk.latencyNsPerRequest', nonNegative],
  ['disk.nsPerByte', nonNegative],
  ['net.latencyNs', nonNegative],
  ['net.nsPerByte', nonNegative],
];

/** Throws a one-line Error naming `source` and the first bad field. */
export function validateProfile(json: unknown, source: string): CostProfile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`profile ${source}: must be a JSON object`);
  }
  for (const [path, check] of SCHEMA) {
    let v: unknown = json;
    for (const key of path.split('.')) {
      v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
    }
    if (v === undefined) throw new Error(`profile ${source}: field ${path} is missing`);
    const problem = check(v);
    if (problem !== undefined) throw new Error(`profile ${source}: field ${path} ${problem}`);
  }
  const indirect = (json as Record<string, unknown>).indirectExitCycles;
  const problem = indirect === undefined ? undefined : nonNegative(indirect);
  if (problem !== undefined) throw new Error(`profile ${source}: field indirectExitCycles ${problem}`);
  const io = (json as Record<string, unknown>).virtioIo;
  if (io !== undefined && io !== 'vcpu' && io !== 'iothread') {
    throw new Error(`profile ${source}: field virtioIo must be "vcpu" or "iothread" (got ${JSON.stringify(io)})`);
  }
  return json as CostProfile;
}
