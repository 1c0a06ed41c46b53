/**
 * `vamos boot [IMAGE]`: boots a kernel image (or the default guest) behind the boot ROM, streams
 * the serial console to stdout and, with --stats, prints the exit table of `perf kvm stat`.
 */
import { existsSync, fstatSync, readFileSync } from 'node:fs';
import { bootRom } from '../firmware/build.js';
import { defaultGuest } from '../guest-os/build.js';
import { readImage } from '../toolchain/image/read.js';
import type { Image } from '../toolchain/image/format.js';
import { BUILTIN_PROFILES, loadProfile, type CostProfile } from '../vmm/profile.js';
import { MAX_RAM, MIN_RAM } from '../vmm/memory.js';
import { formatPerfKvmStat } from '../vmm/stats.js';
import { DEFAULT_MEM, Vm, type RunResult } from '../vmm/vm.js';
import { TraceRecorder } from '../vmm/trace/recorder.js';
import { parseArgs, usage, UsageError, type Flags } from './args.js';
import type { Io } from './io.js';

export const BOOT_FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  mem: { kind: 'size', value: 'SIZE', help: `guest RAM (default ${DEFAULT_MEM / 1024 / 1024}M; K, M, G suffixes)` },
  profile: { kind: 'string', value: 'NAME|FILE', help: 'cost profile: nehalem-2011 (default), modern, or a JSON file' },
  stats: { kind: 'boolean', help: 'print the VM-exit table (perf kvm stat columns) after the run' },
  'max-instructions': { kind: 'count', value: 'N', help: 'stop after N guest instructions (exit code 124)' },
  cmdline: { kind: 'string', value: 'TEXT', help: 'kernel command line, passed in the boot-information block' },
  input: { kind: 'string', value: 'FILE', help: 'bytes for the serial console input (default: stdin when it is a file or pipe)' },
  trace: { kind: 'string', value: 'FILE', help: 'record every VM exit to FILE for `vamos report` (docs/trace-format.md)' },
  'trace-ring': { kind: 'count', value: 'N', help: 'with --trace, keep only the last N exits (bounded memory for long runs)' },
} satisfies Flags;

const SYNOPSIS = 'vamos boot [options] [IMAGE]';
const ABOUT = 'Boots IMAGE (an mx86 image from `vamos as`), or the default guest when none is given.';

/** Exit codes for stops that are not a guest power-off (docs/cli.md). */
export const EXIT_LIMIT = 124;
export const EXIT_SHUTDOWN = 125;
export const EXIT_HALTED = 126;

export function bootUsage(): string {
  return usage(SYNOPSIS, ABOUT, BOOT_FLAGS);
}

/** Console bytes go out a line at a time so that a long run shows progress. */
class ConsoleStream {
  private buf: number[] = [];
  constructor(private readonly io: Io) {}
  put(b: number): void {
    this.buf.push(b);
    if (b === 10 || this.buf.length >= 4096) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    this.io.console(Uint8Array.from(this.buf));
    this.buf = [];
  }
}

function stdinBytes(): Uint8Array | undefined {
  try {
    const st = fstatSync(0);
    // Only a file or a shell pipe: reading an interactive terminal or an open socket would block.
    if (!st.isFile() && !st.isFIFO()) return undefined;
    return readFileSync(0);
  } catch {
    return undefined;
  }
}

export function bootMain(argv: string[], io: Io): number {
  const { flags, positional } = parseArgs(argv, BOOT_FLAGS);
  if (flags.help) { io.stdout(bootUsage()); return 0; }
  if (positional.length > 1) throw new UsageError(`boot takes one image, got ${positional.length}`);
  if (flags.mem !== undefined) checkMem(flags.mem);
  const profile = loadProfileFlag(flags.profile);
  let kernel: Image;
  if (positional.length === 1) {
    const path = positional[0];
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new Error(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    kernel = readImage(bytes, path);
  } else {
    kernel = defaultGuest();
  }
  let input: Uint8Array | undefined;
  if (flags.input !== undefined) {
    try {
      input = readFileSync(flags.input);
    } catch (e) {
      throw new Error(`${flags.input}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else {
    input = io.stdinIsData ? stdinBytes() : undefined;
  }
  if (flags['trace-ring'] !== undefined && flags.trace === undefined) throw new UsageError('--trace-ring needs --trace FILE');
  if (flags['trace-ring'] === 0) throw new UsageError('--trace-ring must be at least 1');
  const firmware = bootRom();
  const trace = flags.trace === undefined ? undefined
    : new TraceRecorder(flags.trace, { ring: flags['trace-ring'], label: positional[0] ?? 'default guest' });
  const console = new ConsoleStream(io);
  let last = 10;
  const vm = new Vm({
    kernel, firmware, profile, memSize: flags.mem, cmdline: flags.cmdline ?? '',
    console: (b) => { last = b; console.put(b); }, input, maxInstructions: flags['max-instructions'], trace,
  });
  const result = vm.run();
  console.flush();
  trace?.close({
    profile: vm.profile.name, cpuHz: vm.profile.cpuHz, stop: result.message,
    symbols: [...kernel.symbols, ...firmware.symbols].filter((s) => s.kind !== 'label')
      .map(({ name, value, size }) => ({ name, value, size })),
  });
  if (last !== 10) io.stdout('\n');
  if (flags.stats) io.stdout('\n' + summaryLine(vm, result) + '\n\n' + formatPerfKvmStat(vm.stats, vm.profile.cpuHz));
  return exitCodeOf(result, io);
}

function checkMem(bytes: number): void {
  if (bytes < MIN_RAM || bytes > MAX_RAM || bytes % 4096 !== 0) {
    throw new UsageError(`--mem: ${bytes} bytes is not a multiple of 4 KiB between 64K and 3G`);
  }
}

/** A name that is neither built in nor a file is a usage error; a broken file is bad input. */
function loadProfileFlag(value: string | undefined): CostProfile {
  if (value !== undefined && !(BUILTIN_PROFILES as readonly string[]).includes(value) && !existsSync(value)) {
    throw new UsageError(`--profile: '${value}' is neither a built-in profile (${BUILTIN_PROFILES.join(', ')}) nor a file`);
  }
  return loadProfile(value);
}

function summaryLine(vm: Vm, r: RunResult): string {
  const ms = (r.cycles / vm.profile.cpuHz) * 1e3;
  return `${r.message}; ${r.instructions} instructions, ${r.cycles} cycles (${ms.toFixed(3)} ms of virtual time, profile ${vm.profile.name})`;
}

function exitCodeOf(r: RunResult, io: Io): number {
  switch (r.stop) {
    case 'poweroff':
      if (r.exitCode > 255) io.stderr(`vamos: guest exit code ${r.exitCode} does not fit a process exit status; exiting with 255\n`);
      return Math.min(r.exitCode, 255);
    case 'instruction-limit': io.stderr(`vamos: ${r.message}\n`); return EXIT_LIMIT;
    case 'shutdown': io.stderr(`vamos: ${r.message}\n`); return EXIT_SHUTDOWN;
    case 'halted': io.stderr(`vamos: ${r.message}\n`); return EXIT_HALTED;
  }
}
