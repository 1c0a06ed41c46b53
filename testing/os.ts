/**
 * Boots the vamos guest OS for tests and benches (docs/guest-os.md, "Testing"): builds the kernel
 * and the named user programs (guest-os/os-build.ts), puts them on a boot disk
 * (toolchain/disk/bootfs.ts), boots it (through the firmware from the disk, or a direct kernel
 * boot with the same disk in slot 0), and returns what the console printed with the exit code
 * and the VM's exit statistics. Everything is deterministic: two calls with the same options
 * give the same console and the same exit table.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MemoryBackend, type BlockBackend } from '../devices/virtio/blk/backend.js';
import type { NetBackend } from '../devices/virtio/net/backend.js';
import { bootRom } from '../firmware/build.js';
import { buildKernel, buildUserProgram, userProgramNames, USER_TEXT_BASE } from '../guest-os/os-build.js';
import { build, GUEST_OPT_LEVEL, type SourceInput } from '../toolchain/cc/driver.js';
import { makeBootDisk } from '../toolchain/disk/bootfs.js';
import type { Image } from '../toolchain/image/format.js';
import type { CpuMode } from '../vmm/cpu/jit.js';
import { writeImage } from '../toolchain/image/write.js';
import { projectFile, projectRoot } from '../vmm/paths.js';
import type { CostProfile } from '../vmm/profile.js';
import type { ExitStats } from '../vmm/stats.js';
import type { TraceRecorder } from '../vmm/trace/recorder.js';
import { Vm, type AsyncRunOptions, type RunResult, type StopReason, type VmOptions } from '../vmm/vm.js';

/** A data disk: `sectors` of zeros, or `data` (padded to whole sectors), or a backend of your own. */
export interface OsDataDisk {
  /** Used as it is (e.g. a volume that outlives one boot, a host file); the other fields are ignored. */
  backend?: BlockBackend;
  sectors?: number;
  data?: Uint8Array;
  readOnly?: boolean;
}

export interface OsBootOptions {
  /** User programs of guest-os/user/ to put on the disk (default: all of them). */
  programs?: readonly string[];
  /** More programs, already built (e.g. by buildTestProgram), by file name. */
  extraPrograms?: Readonly<Record<string, Image>>;
  /** Other files for the boot disk, raw bytes (exec: flagged as a program). */
  extraFiles?: Readonly<Record<string, { data: Uint8Array; exec?: boolean }>>;
  /** The kernel command line (the boot-information block's; '' means the disk's default). */
  cmdline?: string;
  /** The default command line stored on the boot disk. */
  diskCmdline?: string;
  /** 'disk' (default): the firmware loads the kernel from the boot disk; 'direct': the VMM does. */
  boot?: 'disk' | 'direct';
  dataDisks?: readonly OsDataDisk[];
  iommu?: boolean;
  nets?: readonly NetBackend[];
  /** Device models of the embedder's own, in the slots after the network devices (VmOptions.devices). */
  devices?: VmOptions['devices'];
  memSize?: number;
  profile?: CostProfile;
  /** Serial input queued before boot. */
  input?: string | Uint8Array;
  /** Execution tier (default: the process default, jit unless --cpu/setDefaultCpuMode said otherwise). */
  cpu?: CpuMode;
  /** Called for every exit after it was handled (VmOptions.onExit). */
  onExit?: VmOptions['onExit'];
  /** Default 2e9: a runaway guest ends the test instead of hanging it. */
  maxInstructions?: number;
  /** -D definitions for the kernel and program builds. */
  defines?: readonly string[];
  /** A kernel image to use instead of building guest-os/kernel/. */
  kernel?: Image;
  /** Records every exit (the caller closes it after the run). */
  trace?: TraceRecorder;
  /** Also sees each console byte as the guest writes it (a live console). */
  onConsole?: (byte: number) => void;
}

export interface OsBootResult {
  console: string;
  exitCode: number;
  stop: StopReason;
  /** The one-line description of the stop. */
  message: string;
  instructions: number;
  cycles: number;
  stats: ExitStats;
  vm: Vm;
  /** The data disks' backends, in order (their contents after the run). */
  disks: BlockBackend[];
}

/** A booted VM that has not run yet: call run() or runAsync(). */
export interface OsMachine {
  vm: Vm;
  disks: BlockBackend[];
  run(): OsBootResult;
  runAsync(opts?: AsyncRunOptions): Promise<OsBootResult>;
}

const SECTOR = 512;
const testPrograms = new Map<string, Image>();

/**
 * Builds a test-only user program from a folder of C/assembly (e.g. tests/os/programs/spin/)
 * with the user library, like buildUserProgram does for guest-os/user/<name>/.
 */
export function buildTestProgram(dir: string, defines: readonly string[] = []): Image {
  const key = `${dir}\0${defines.join(' ')}`;
  const hit = testPrograms.get(key);
  if (hit) return hit;
  const sources = (d: string): SourceInput[] => (existsSync(d) ? readdirSync(d).sort() : [])
    .filter((n) => n.endsWith('.c') || n.endsWith('.s'))
    .map((n) => join(d, n))
    .map((path) => ({ path: relative(projectRoot(), path), text: readFileSync(path, 'utf8') }));
  const inputs = [...sources(projectFile('guest-os', 'user', 'lib')), ...sources(dir)];
  if (inputs.length === 0) throw new Error(`${dir}: no sources`);
  const image = build(inputs, {
    includeDirs: [projectFile('guest-os', 'user', 'include'), projectFile('guest-os', 'include')],
    defines, runtime: false, textBase: USER_TEXT_BASE, entry: '_start', opt: GUEST_OPT_LEVEL,
  }).image;
  testPrograms.set(key, image);
  return image;
}

/** The boot disk for these options (the kernel and the programs). */
export function osBootDisk(opts: OsBootOptions = {}): { disk: Uint8Array; kernel: Image } {
  const b = opts.defines ? { defines: opts.defines } : {};
  const kernel = opts.kernel ?? buildKernel(b);
  const names = opts.programs ?? userProgramNames().filter((n) => n !== 'lib' && n !== 'include');
  const files = [
    ...names.map((name) => ({ name, data: writeImage(buildUserProgram(name, b), name), exec: true })),
    ...Object.entries(opts.extraPrograms ?? {}).map(([name, img]) => ({ name, data: writeImage(img, name), exec: true })),
    ...Object.entries(opts.extraFiles ?? {}).map(([name, f]) => ({ name, data: f.data, exec: f.exec ?? false })),
  ];
  const disk = makeBootDisk({ kernel: writeImage(kernel, 'kernel'), files, cmdline: opts.diskCmdline ?? '', source: 'test disk' });
  return { disk, kernel };
}

/** Builds everything and creates the VM; nothing has run yet. */
export function osMachine(opts: OsBootOptions = {}): OsMachine {
  const { disk, kernel } = osBootDisk(opts);
  const boot = new MemoryBackend(disk.length / SECTOR, true, disk);
  const disks = (opts.dataDisks ?? []).map((d) => {
    if (d.backend !== undefined) return d.backend;
    const sectors = d.sectors ?? Math.ceil((d.data?.length ?? 0) / SECTOR);
    return new MemoryBackend(sectors, d.readOnly ?? false, d.data);
  });
  const out: number[] = [];
  const input = typeof opts.input === 'string' ? new TextEncoder().encode(opts.input) : opts.input;
  const vm = new Vm({
    kernel: opts.boot === 'direct' ? kernel : undefined, kernelSymbols: () => kernel.symbols,
    firmware: bootRom(), cmdline: opts.cmdline ?? '', memSize: opts.memSize, profile: opts.profile,
    console: (b) => { out.push(b); opts.onConsole?.(b); }, input, maxInstructions: opts.maxInstructions ?? 2_000_000_000,
    disks: [{ backend: boot, readOnly: true }, ...disks.map((backend) => ({ backend }))],
    nets: opts.nets, devices: opts.devices, iommu: opts.iommu, trace: opts.trace, cpu: opts.cpu, onExit: opts.onExit,
  });
  const finish = (r: RunResult): OsBootResult => ({
    console: Buffer.from(out).toString('utf8'), exitCode: r.exitCode, stop: r.stop, message: r.message,
    instructions: r.instructions, cycles: r.cycles, stats: vm.stats, vm, disks,
  });
  return {
    vm, disks,
    run: () => finish(vm.run()),
    runAsync: async (a?: AsyncRunOptions) => finish(await vm.runAsync(a)),
  };
}

/** Boots the OS and runs it until it powers off (or stops otherwise). */
export function bootOs(opts: OsBootOptions = {}): OsBootResult {
  return osMachine(opts).run();
}

/** The same, with the host event loop turning (network backends need it). */
export function bootOsAsync(opts: OsBootOptions = {}, run?: AsyncRunOptions): Promise<OsBootResult> {
  return osMachine(opts).runAsync(run);
}
