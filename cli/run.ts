/**
 * `vamos run PROGRAM`: boots a hosted program (an image from `vamos cc`, or a C/assembly source
 * it builds first) behind the boot ROM. Its console is stdout and its exit status is main's
 * return value, as for a native program; vamos adds nothing unless asked (--stats goes to
 * stderr), so the output can be compared with a native run byte for byte.
 */
import { existsSync } from 'node:fs';
import { readHostFile } from '../vmm/host-file.js';
import { bootRom } from '../firmware/build.js';
import { build, GUEST_OPT_LEVEL, inputKind } from '../toolchain/cc/driver.js';
import { CcError } from '../toolchain/cc/errors.js';
import { PpError } from '../toolchain/cc/preprocess.js';
import { LinkError } from '../toolchain/ld/link.js';
import type { Image } from '../toolchain/image/format.js';
import { readImage } from '../toolchain/image/read.js';
import { BUILTIN_PROFILES, loadProfile, type CostProfile } from '../vmm/profile.js';
import { MAX_RAM, MIN_RAM } from '../vmm/memory.js';
import { formatPerfKvmStat } from '../vmm/stats.js';
import { Vm, type RunResult } from '../vmm/vm.js';
import { parseArgs, usage, UsageError, type Flags, CPU_FLAG, applyCpuFlag } from './args.js';
import { EXIT_HALTED, EXIT_LIMIT, EXIT_SHUTDOWN, interruptedCode } from './boot.js';
import { stopOnSignals, type Io } from './io.js';
import { attachModules, closeModules, loadModules, MODULE_FLAG, moduleSummary, parseModuleFlags } from './modules.js';
import type { HypervisorModule } from '../middleware/host/module.js';

export const RUN_FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  mem: { kind: 'size', value: 'SIZE', help: 'guest RAM (default 64M; K, M, G suffixes)' },
  profile: { kind: 'string', value: 'NAME|FILE', help: 'cost profile: nehalem-2011 (default), nehalem-2011-pagecache, modern, or a JSON file' },
  stats: { kind: 'boolean', help: 'after the run, print a summary and the VM-exit table on stderr' },
  'max-instructions': { kind: 'count', value: 'N', help: 'stop after N guest instructions (exit code 124)' },
  module: MODULE_FLAG,
  ...CPU_FLAG,
} satisfies Flags;

export function runUsage(): string {
  return usage('vamos run [options] PROGRAM.img|PROGRAM.c ...',
    'Runs a hosted program built by `vamos cc` (C or assembly sources are built first, with the\n' +
    "default options). The program's output is stdout; the exit status is main's return value.", RUN_FLAGS);
}

export function runMain(argv: string[], io: Io): number | Promise<number> {
  const { flags, positional } = parseArgs(argv, RUN_FLAGS);
  applyCpuFlag(flags.cpu);
  if (flags.help) { io.stdout(runUsage()); return 0; }
  if (positional.length === 0) throw new UsageError('no program given');
  if (flags.mem !== undefined && (flags.mem < MIN_RAM || flags.mem > MAX_RAM || flags.mem % 4096 !== 0)) {
    throw new UsageError(`--mem: ${flags.mem} bytes is not a multiple of 4 KiB between 64K and 3G`);
  }
  const specs = parseModuleFlags(flags.module);
  const profile = loadProfileFlag(flags.profile);
  const program = loadProgram(positional, io);
  if (program === undefined) return 1;
  if (specs.length === 0) return execute(program, profile, flags, [], io);
  let vm: Vm | undefined;
  return loadModules(specs, { profile, io, now: () => vm?.clock.now ?? 0 })
    .then((modules) => execute(program, profile, flags, modules, io, (v) => { vm = v; }));
}

type RunFlags = ReturnType<typeof parseArgs<typeof RUN_FLAGS>>['flags'];

function execute(program: Image, profile: CostProfile, flags: RunFlags, modules: HypervisorModule[], io: Io, created?: (vm: Vm) => void): number | Promise<number> {
  const out: number[] = [];
  const flush = (): void => {
    if (out.length) io.console(Uint8Array.from(out));
    out.length = 0;
  };
  let vm: Vm;
  try {
    vm = new Vm({
      kernel: program, firmware: bootRom(), profile, memSize: flags.mem,
      console: (b) => { out.push(b); if (b === 10 || out.length >= 4096) flush(); },
      maxInstructions: flags['max-instructions'],
    });
  } catch (e) {
    closeModules(modules, io);
    throw e;
  }
  created?.(vm);
  // Always: MODULE_OPEN of a name nobody loaded answers -ENOENT ("no such module"), not -ENOSYS.
  const registry = attachModules(vm, modules, io);
  const finish = (result: RunResult): number => {
    registry.closeAll();
    flush();
    if (flags.stats) {
      const mods = moduleSummary(registry, vm.profile.cpuHz);
      io.stderr(summary(vm, result) + '\n' + mods + '\n' + formatPerfKvmStat(vm.stats, vm.profile.cpuHz));
    }
    return exitStatus(result, io);
  };
  if (!io.signals) {
    let result: RunResult;
    try {
      result = vm.run();
    } catch (e) {
      registry.closeAll();
      throw e;
    }
    return finish(result);
  }
  // Ctrl-C ends the run at the next exit with the stats printed; 'virtual' keeps it deterministic.
  const signals = stopOnSignals(vm, io, 'run');
  return vm.runAsync({ clock: 'virtual' }).finally(() => signals.remove())
    .then(finish, (e: unknown) => { registry.closeAll(); throw e; });
}

/** An image file, or sources to build into one; undefined after reporting a problem. */
function loadProgram(paths: string[], io: Io): Image | undefined {
  const texts = paths.map((path) => readHostFile(path));
  const sources = paths.map((path, i) => ({ path, text: Buffer.from(texts[i]!).toString('utf8') }));
  if (paths.length === 1 && inputKind(paths[0]!, sources[0]!.text) === undefined) return readImage(texts[0]!, paths[0]!);
  for (const s of sources) {
    const nul = s.text.indexOf('\0');
    if (nul >= 0) throw new Error(`${s.path}: cannot read: not a text file (a NUL byte at offset ${Buffer.byteLength(s.text.slice(0, nul))})`);
  }
  try {
    return build(sources, { opt: GUEST_OPT_LEVEL }).image;
  } catch (e) {
    if (e instanceof PpError || e instanceof CcError || e instanceof LinkError) {
      io.stderr(`${e.message}\n`);
      return undefined;
    }
    throw e;
  }
}

function loadProfileFlag(value: string | undefined): CostProfile {
  if (value !== undefined && !(BUILTIN_PROFILES as readonly string[]).includes(value) && !existsSync(value)) {
    throw new UsageError(`--profile: '${value}' is neither a built-in profile (${BUILTIN_PROFILES.join(', ')}) nor a file`);
  }
  return loadProfile(value);
}

function summary(vm: Vm, r: RunResult): string {
  const ms = (r.cycles / vm.profile.cpuHz) * 1e3;
  return `${r.message}; ${r.instructions} instructions, ${r.cycles} cycles (${ms.toFixed(3)} ms of virtual time, profile ${vm.profile.name})`;
}

/** A native process's status is its exit value modulo 256; so is a guest's here. */
export function exitStatus(r: RunResult, io: Io): number {
  switch (r.stop) {
    case 'poweroff': return r.exitCode & 0xff;
    case 'instruction-limit': io.stderr(`vamos: ${r.message}\n`); return EXIT_LIMIT;
    case 'shutdown': io.stderr(`vamos: ${r.message}\n${(r.details ?? []).map((l) => l + '\n').join('')}`); return EXIT_SHUTDOWN;
    case 'halted': io.stderr(`vamos: ${r.message}\n`); return EXIT_HALTED;
    case 'interrupted': io.stderr(`vamos: ${r.message}\n`); return interruptedCode(r);
  }
}
