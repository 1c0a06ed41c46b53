/**
 * `vamos boot [IMAGE|DISK]`: boots a kernel image directly, or a boot disk through the firmware
 * (the project's default disk when neither is given), with disks, a network device and the IOMMU in the virtio slots
 * (docs/platform.md); streams the serial console to stdout and, with --stats, prints the exit
 * table of `perf kvm stat`. With a host-socket network backend the run is asynchronous.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { readHostFile } from '../vmm/host-file.js';
import { bootRom } from '../firmware/build.js';
import { buildDefaultDisk } from '../toolchain/disk/default-disk.js';
import { readBootDisk } from '../toolchain/disk/bootfs.js';
import { MemoryBackend } from '../devices/virtio/blk/backend.js';
import { readImage } from '../toolchain/image/read.js';
import type { Image } from '../toolchain/image/format.js';
import { BUILTIN_PROFILES, loadProfile, type CostProfile } from '../vmm/profile.js';
import { MAX_RAM, MIN_RAM } from '../vmm/memory.js';
import { formatPerfKvmStat } from '../vmm/stats.js';
import { DEFAULT_MEM, Vm, type RunResult, type VmDisk } from '../vmm/vm.js';
import { VIRTIO_MMIO_SLOTS } from '../vmm/platform.js';
import { FileBackend } from '../devices/virtio/blk/file-backend.js';
import type { NetBackend } from '../devices/virtio/net/backend.js';
import { UdpBackend } from '../devices/virtio/net/udp-backend.js';
import { SlirpUdpBackend } from '../devices/virtio/net/slirp-udp.js';
import { GatewayBackend } from '../devices/virtio/net/gateway/backend.js';
import { TraceRecorder } from '../vmm/trace/recorder.js';
import { VirtioBlk } from '../devices/virtio/blk/device.js';
import { VirtioNet } from '../devices/virtio/net/device.js';
import { parseArgs, usage, UsageError, type Flags, CPU_FLAG, applyCpuFlag } from './args.js';
import { ConsoleStream, SIGNAL_EXIT, stopOnSignals, type Io } from './io.js';
import { attachModules, closeModules, loadModules, MODULE_FLAG, moduleSummary, parseModuleFlags } from './modules.js';
import type { HypervisorModule } from '../middleware/host/module.js';

export const BOOT_FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  mem: { kind: 'size', value: 'SIZE', help: `guest RAM (default ${DEFAULT_MEM / 1024 / 1024}M; K, M, G suffixes)` },
  profile: { kind: 'string', value: 'NAME|FILE', help: 'cost profile: nehalem-2011 (default), nehalem-2011-pagecache, modern, or a JSON file' },
  stats: { kind: 'boolean', help: 'print the VM-exit table (perf kvm stat columns) after the run' },
  'max-instructions': { kind: 'count', value: 'N', help: 'stop after N guest instructions (exit code 124)' },
  cmdline: { kind: 'string', value: 'TEXT', help: 'kernel command line, passed in the boot-information block' },
  input: { kind: 'string', value: 'FILE', help: 'bytes for the serial console input (default: stdin when it is a file or pipe)' },
  trace: { kind: 'string', value: 'FILE', help: 'record every VM exit to FILE for `vamos report` (docs/trace-format.md)' },
  'trace-ring': { kind: 'count', value: 'N', help: 'with --trace, keep only the last N exits (bounded memory for long runs)' },
  disk: { kind: 'list', value: 'PATH[,ro]', help: 'attach a disk image as virtio-blk (repeatable; slots in order)' },
  net: { kind: 'list', value: 'SPEC', help: 'udp:HOSTPORT[:GUESTPORT], gateway:HOSTPORT[:GUESTPORT] (TCP for Redis clients, docs/gateway.md), socket:LOCALPORT:REMOTEPORT or none (docs/network.md)' },
  iommu: { kind: 'boolean', help: 'put the IOMMU at 0xFED90000 (IRQ 9) in front of every virtio device' },
  'wall-clock': { kind: 'boolean', help: 'with a host network: run the virtual clock against the host clock (implied by gateway:; docs/platform.md §5)' },
  module: MODULE_FLAG,
  ...CPU_FLAG,
} satisfies Flags;

const SYNOPSIS = 'vamos boot [options] [IMAGE|DISK]';
const ABOUT = 'Boots IMAGE (an mx86 image) directly, or DISK (a VBFS boot disk from `vamos mkdisk`) through\n' +
  'the firmware, or the default disk (guest-os/, built on demand) when neither is given.\n' +
  'Disks take the virtio slots first, then network devices (4 slots in all).';

/** Exit codes for stops that are not a guest power-off (docs/cli.md). */
export const EXIT_LIMIT = 124;
export const EXIT_SHUTDOWN = 125;
export const EXIT_HALTED = 126;

export function bootUsage(): string {
  return usage(SYNOPSIS, ABOUT, BOOT_FLAGS);
}

/** Console input is queued before the guest starts; an endless pipe (`yes |`) is cut here. */
export const MAX_CONSOLE_INPUT = 1024 * 1024;

function stdinBytes(io: Io): Uint8Array | undefined {
  try {
    const st = fstatSync(0);
    // Only a file or a shell pipe: reading an interactive terminal or an open socket would block.
    if (!st.isFile() && !st.isFIFO()) return undefined;
    const bytes = readHostFile(0, { max: MAX_CONSOLE_INPUT, truncate: true });
    if (bytes.truncated) io.stderr(`vamos: stdin: more than ${MAX_CONSOLE_INPUT >> 20} MiB; only the first ${MAX_CONSOLE_INPUT >> 20} MiB are queued as console input\n`);
    return bytes;
  } catch {
    return undefined;
  }
}

/** Bytes 0..3 of a VBFS boot disk (guest-os/include/bootfs.h: BOOTFS_MAGIC, little-endian). */
const VBFS_MAGIC = 'VBFS';

/** A network device as --net describes it, opened later (host sockets open asynchronously). */
type NetSpec = { kind: 'udp' | 'gateway'; hostPort: number; guestPort: number } | { kind: 'socket'; localPort: number; remotePort: number };

export function bootMain(argv: string[], io: Io): number | Promise<number> {
  const { flags, positional } = parseArgs(argv, BOOT_FLAGS);
  applyCpuFlag(flags.cpu);
  if (flags.help) { io.stdout(bootUsage()); return 0; }
  if (positional.length > 1) throw new UsageError(`boot takes one image or disk, got ${positional.length}`);
  if (flags.mem !== undefined) checkMem(flags.mem);
  const moduleSpecs = parseModuleFlags(flags.module);
  const diskSpecs = (flags.disk ?? []).map(parseDiskFlag);
  const netSpecs = (flags.net ?? []).map(parseNetFlag).filter((n): n is NetSpec => n !== undefined);
  const bootDisk = positional.length === 1 && isBootDisk(positional[0]!);
  const slots = diskSpecs.length + netSpecs.length + (bootDisk ? 1 : 0);
  if (slots > VIRTIO_MMIO_SLOTS) {
    throw new UsageError(`${slots} virtio devices (${bootDisk ? 'the boot disk, ' : ''}${diskSpecs.length} --disk, ${netSpecs.length} --net): the machine has ${VIRTIO_MMIO_SLOTS} slots`);
  }
  const profile = loadProfileFlag(flags.profile);
  let kernel: Image | undefined;
  // The kernel's symbols name the guest functions in traces and crash reports, also when the
  // firmware loads it. A boot disk is read for them only when one is needed (a trace, a crash).
  let kernelSymbols: () => Image['symbols'] = () => [];
  let defaultDisk: Uint8Array | undefined;
  if (positional.length === 1 && !bootDisk) {
    const image = readImage(readInput(positional[0]!), positional[0]!);
    kernel = image;
    kernelSymbols = () => image.symbols;
  } else if (positional.length === 0) {
    const disk = buildDefaultDisk();
    defaultDisk = disk;
    kernelSymbols = once(() => kernelSymbolsOf(() => disk, 'default disk'));
  } else {
    const path = positional[0]!;
    kernelSymbols = once(() => kernelSymbolsOf(() => readInput(path), path));
  }
  let input: Uint8Array | undefined;
  if (flags.input !== undefined) input = readInput(flags.input, MAX_CONSOLE_INPUT);
  else input = io.stdinIsData ? stdinBytes(io) : undefined;
  if (flags['trace-ring'] !== undefined && flags.trace === undefined) throw new UsageError('--trace-ring needs --trace FILE');
  if (flags['wall-clock'] && netSpecs.length === 0) throw new UsageError('--wall-clock needs a host network (--net udp:, gateway: or socket:); without one the run is deterministic');
  if (flags['trace-ring'] === 0) throw new UsageError('--trace-ring must be at least 1');
  const disks: VmDisk[] = [];
  const nets: NetBackend[] = [];
  const closeAll = (): void => {
    for (const d of disks) d.backend.close?.();
    for (const n of nets) n.close?.();
  };
  try {
    if (bootDisk) disks.push({ backend: new FileBackend(positional[0]!, true) });
    if (defaultDisk) disks.push({ backend: new MemoryBackend(defaultDisk.length / 512, true, defaultDisk) });
    for (const d of diskSpecs) disks.push({ backend: new FileBackend(d.path, d.readOnly) });
  } catch (e) {
    closeAll();
    throw e;
  }
  let vmRef: Vm | undefined;
  const start = (modules: HypervisorModule[]): number | Promise<number> => {
    const firmware = bootRom();
    const label = positional[0] ?? 'default disk';
    const console = new ConsoleStream(io);
    let last = 10;
    let trace: TraceRecorder | undefined;
    let vm: Vm;
    try {
      trace = flags.trace === undefined ? undefined : new TraceRecorder(flags.trace, { ring: flags['trace-ring'], label });
      vm = new Vm({
        kernel, kernelSymbols, firmware, profile, memSize: flags.mem, cmdline: flags.cmdline ?? '', disks, nets, iommu: flags.iommu,
        console: (b) => { last = b; console.put(b); }, input, maxInstructions: flags['max-instructions'], trace,
      });
    } catch (e) {
      closeModules(modules, io);
      throw e;
    }
    vmRef = vm;
    // Always: MODULE_OPEN of a name nobody loaded answers -ENOENT ("no such module"), not -ENOSYS.
    const registry = attachModules(vm, modules, io);
    // Ctrl-C or SIGTERM (a network guest runs until stopped) ends the run at the next exit, and
    // the trace and stats are finished as for any other stop.
    const signals = io.signals ? stopOnSignals(vm, io, 'boot') : undefined;
    const finish = (result: RunResult): number => {
      signals?.remove();
      registry.closeAll();
      vm.close();
      console.flush();
      trace?.close({
        profile: vm.profile.name, cpuHz: vm.profile.cpuHz, stop: result.message,
        symbols: [...kernelSymbols(), ...firmware.symbols].filter((s) => s.kind !== 'label')
          .map(({ name, value, size }) => ({ name, value, size })),
      });
      if (last !== 10) io.stdout('\n');
      if (flags.stats) {
        const mods = moduleSummary(registry, vm.profile.cpuHz);
        io.stdout('\n' + summaryLine(vm, result) + '\n' + deviceSummary(vm) + mods + '\n' + formatPerfKvmStat(vm.stats, vm.profile.cpuHz));
      }
      return exitCodeOf(result, io);
    };
    const fail = (e: unknown): never => { signals?.remove(); registry.closeAll(); vm.close(); throw e; };
    if (netSpecs.length === 0 && signals === undefined) {
      let result: RunResult;
      try {
        result = vm.run();
      } catch (e) {
        return fail(e);
      }
      return finish(result);
    }
    const wall = flags['wall-clock'] === true || netSpecs.some((n) => n.kind === 'gateway');
    // Without a network, 'virtual' keeps the run deterministic: the event loop only gets a turn for signals.
    const clock = netSpecs.length === 0 ? 'virtual' : wall ? 'wall' : 'paced';
    return vm.runAsync({ clock }).then(finish, fail);
  };
  const load = (): Promise<HypervisorModule[]> => loadModules(moduleSpecs, { profile, io, now: () => vmRef?.clock.now ?? 0 });
  if (netSpecs.length === 0 && moduleSpecs.length === 0) {
    try {
      return start([]);
    } catch (e) {
      closeAll();
      throw e;
    }
  }
  const modulesThenStart = (): Promise<number> | number => (moduleSpecs.length === 0 ? start([]) : load().then(start));
  return (netSpecs.length === 0 ? Promise.resolve().then(modulesThenStart) : openNets(netSpecs, nets, io).then(modulesThenStart)).catch((e: unknown) => {
    closeAll();
    throw e;
  });
}

async function openNets(specs: NetSpec[], into: NetBackend[], io: Io): Promise<void> {
  for (const s of specs) {
    switch (s.kind) {
      case 'udp': into.push(await SlirpUdpBackend.open({ hostPort: s.hostPort, guestPort: s.guestPort })); break;
      case 'gateway': {
        const g = await GatewayBackend.open({ hostPort: s.hostPort, guestPort: s.guestPort });
        into.push(g);
        // With HOSTPORT 0 this is the only place the chosen port is seen.
        io.stderr(`vamos boot: gateway on 127.0.0.1:${g.hostPort} for the guest's UDP port ${s.guestPort} (docs/gateway.md)\n`);
        break;
      }
      case 'socket': into.push(await UdpBackend.open({ localPort: s.localPort, remotePort: s.remotePort })); break;
    }
  }
}

/** The symbols of the kernel on a boot disk; a disk the firmware will refuse, or one that can no
 * longer be read, has none. */
function kernelSymbolsOf(read: () => Uint8Array, source: string): Image['symbols'] {
  try {
    const k = readBootDisk(read(), source).kernel;
    return readImage(k.data, `${source}:kernel`).symbols;
  } catch {
    return [];
  }
}

/** f's value, computed on the first call. */
function once<T>(f: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: f() }).v;
}

function readInput(path: string, max?: number): Uint8Array {
  return readHostFile(path, { max });
}

/** Whether `path` starts with the VBFS magic; a file that cannot be read is reported by the reader. */
function isBootDisk(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const head = new Uint8Array(4);
    const n = readSync(fd, head, 0, 4, 0);
    return n === 4 && new TextDecoder('latin1').decode(head) === VBFS_MAGIC;
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** PATH or PATH,ro. */
export function parseDiskFlag(text: string): { path: string; readOnly: boolean } {
  const comma = text.lastIndexOf(',');
  if (comma < 0) {
    if (text === '') throw new UsageError('--disk: empty path');
    return { path: text, readOnly: false };
  }
  const path = text.slice(0, comma);
  const opt = text.slice(comma + 1);
  if (opt !== 'ro' && opt !== 'rw') throw new UsageError(`--disk: unknown option '${opt}' in '${text}' (expected PATH or PATH,ro)`);
  if (path === '') throw new UsageError(`--disk: empty path in '${text}'`);
  return { path, readOnly: opt === 'ro' };
}

function parsePort(text: string | undefined, what: string, spec: string, min = 1): number {
  if (text === undefined || !/^\d{1,5}$/.test(text) || Number(text) < min || Number(text) > 65535) {
    throw new UsageError(`--net: ${what} in '${spec}' must be a port number ${min}..65535`);
  }
  return Number(text);
}

/** udp:HOSTPORT[:GUESTPORT], gateway:HOSTPORT[:GUESTPORT], socket:LOCALPORT:REMOTEPORT, none. */
export function parseNetFlag(text: string): NetSpec | undefined {
  const [kind, ...rest] = text.split(':');
  if (kind === 'none' && rest.length === 0) return undefined;
  if (kind === 'udp' && (rest.length === 1 || rest.length === 2)) {
    const hostPort = parsePort(rest[0], 'HOSTPORT', text);
    return { kind: 'udp', hostPort, guestPort: rest.length === 2 ? parsePort(rest[1], 'GUESTPORT', text) : hostPort };
  }
  if (kind === 'gateway' && (rest.length === 1 || rest.length === 2)) {
    return { kind: 'gateway', hostPort: parsePort(rest[0], 'HOSTPORT', text, 0), guestPort: rest.length === 2 ? parsePort(rest[1], 'GUESTPORT', text) : 6379 };
  }
  if (kind === 'socket' && rest.length === 2) {
    return { kind: 'socket', localPort: parsePort(rest[0], 'LOCALPORT', text, 0), remotePort: parsePort(rest[1], 'REMOTEPORT', text) };
  }
  throw new UsageError(`--net: '${text}' is not udp:HOSTPORT[:GUESTPORT], gateway:HOSTPORT[:GUESTPORT], socket:LOCALPORT:REMOTEPORT or none`);
}

/** One line per slot device (and the IOMMU): what the exit table cannot say. */
export function deviceSummary(vm: Vm): string {
  const lines: string[] = [];
  for (const s of vm.slots) {
    const t = s.transport.stats;
    const head = `${s.name} (slot ${s.slot}, 0x${s.base.toString(16)}, irq ${s.irq}): ${t.notifications} notifications, ${t.usedInterrupts} interrupts (${t.interruptsSuppressed} suppressed)`;
    if (s.device instanceof VirtioBlk) {
      const b = s.device.stats;
      lines.push(`${head}, ${b.reads} reads (${b.bytesRead} bytes), ${b.writes} writes (${b.bytesWritten} bytes), ${b.flushes} flushes, ${b.ioErrors} errors`);
    } else if (s.device instanceof VirtioNet) {
      const n = s.device.stats;
      lines.push(`${head}, ${n.txFrames} frames sent, ${n.rxFrames} received, ${n.rxDroppedNoBuffer + n.rxDroppedNotReady + n.rxDroppedOversize} dropped`);
    } else {
      lines.push(`${head}, ${t.requests} requests, ${t.bytes} bytes`);
    }
    if (t.lastError !== undefined) lines.push(`  last error: ${t.lastError}`);
  }
  const c = vm.iommu?.counters;
  if (c) {
    lines.push(`iommu (0xfed90000, irq 9): ${c.translations} translations, ${c.iotlbMisses} IOTLB misses, ` +
      `${c.invalidationsPage + c.invalidationsDevice + c.invalidationsGlobal} invalidations, ${vm.iommu!.faults().length} faults recorded`);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

function checkMem(bytes: number): void {
  if (bytes < MIN_RAM || bytes > MAX_RAM || bytes % 4096 !== 0) {
    throw new UsageError(`--mem: ${bytes} bytes is not a multiple of 4 KiB between 64K and 3G`);
  }
}

/** A name that is neither built in nor a file is a usage error; a broken file is bad input. */
export function loadProfileFlag(value: string | undefined): CostProfile {
  if (value !== undefined && !(BUILTIN_PROFILES as readonly string[]).includes(value) && !existsSync(value)) {
    throw new UsageError(`--profile: '${value}' is neither a built-in profile (${BUILTIN_PROFILES.join(', ')}) nor a file`);
  }
  return loadProfile(value);
}

export function summaryLine(vm: Vm, r: RunResult): string {
  const ms = (r.cycles / vm.profile.cpuHz) * 1e3;
  return `${r.message}; ${r.instructions} instructions, ${r.cycles} cycles (${ms.toFixed(3)} ms of virtual time, profile ${vm.profile.name})`;
}

/** 130 after Ctrl-C, 143 after SIGTERM (128 + the signal number, as a shell reports it). */
export function interruptedCode(r: RunResult): number {
  return r.message.includes('SIGTERM') ? SIGNAL_EXIT.SIGTERM : SIGNAL_EXIT.SIGINT;
}

function exitCodeOf(r: RunResult, io: Io): number {
  switch (r.stop) {
    case 'poweroff':
      if (r.exitCode > 255) io.stderr(`vamos: guest exit code ${r.exitCode} does not fit a process exit status; exiting with 255\n`);
      return Math.min(r.exitCode, 255);
    case 'instruction-limit': io.stderr(`vamos: ${r.message}\n`); return EXIT_LIMIT;
    case 'shutdown': io.stderr(`vamos: ${r.message}\n${(r.details ?? []).map((l) => l + '\n').join('')}`); return EXIT_SHUTDOWN;
    case 'halted': io.stderr(`vamos: ${r.message}\n`); return EXIT_HALTED;
    case 'interrupted': io.stderr(`vamos: ${r.message}\n`); return interruptedCode(r);
  }
}
