/**
 * `vamos cc`: compiles and links C and assembly into an MXI image, in the manner of `cc`
 * (-c, -S, -E, -o, -I, -D, -U, -O), with flags for where the image goes in memory so the
 * same command builds programs, kernels, firmware and hypervisor modules. docs/cc-toolchain.md.
 */
import { writeFileSync } from 'node:fs';
import { MAX_RAM } from '../vmm/memory.js';
import { readHostText } from '../vmm/host-file.js';
import { basename } from 'node:path';
import { build, compileC, GUEST_OPT_LEVEL, inputKind, preprocessC, toObject, type BuildOptions } from '../toolchain/cc/driver.js';
import type { CcStats } from '../toolchain/cc/compile.js';
import { CcError } from '../toolchain/cc/errors.js';
import { PpError } from '../toolchain/cc/preprocess.js';
import { LinkError } from '../toolchain/ld/link.js';
import { ImageError } from '../toolchain/image/format.js';
import { writeImage } from '../toolchain/image/write.js';
import { UsageError } from './args.js';
import type { Io } from './io.js';
import { buildModule } from '../middleware/host/build.js';
import { projectFile } from '../vmm/paths.js';

export function ccUsage(): string {
  return `usage: vamos cc [options] file.c|file.s|file.o ...

Compiles C (a C99 subset) and links it with assembly and objects into an mx86 image. By
default the image is a hosted program: crt0 and the libc are linked, and 'vamos run' runs it.

options:
  -o FILE              output (default a.img; with -c/-S: the input name with .o/.s)
  -c                   compile only: write one object (.o) per input
  -S                   write assembly (.s) per C input
  -E                   write the preprocessed C to stdout (or -o FILE)
  -I DIR               add DIR to the #include search (repeatable; also -IDIR)
  -D NAME[=VALUE]      define a macro (repeatable; also -DNAME)
  -U NAME              undefine a macro
  -O0 -O1 -O2          optimization level (default -O2, as 'vamos run' builds; -O0 for
                       debugging; -O is -O1, -O3 and -Os are -O2)
  --text-base N        address of .text (default 0x100000)
  --data-base N        address of .data (default: after .text, rounded to 4096)
  --bss-base N         address of .bss (default: after .data, rounded to 4096)
  --entry SYM          entry point symbol (default _start, else the start of .text)
  --no-runtime         do not link crt0 (kernels, firmware, modules; also --freestanding)
  --no-libc            do not offer the libc to the linker (also -nostdlib)
  --module             link a hypervisor-resident module (module_init and module_call, with
                       the module runtime and <hostcall.h>) for --module NAME=FILE.img
  --stats              after compiling, list on stderr each function the optimizer left to
                       the -O0 code generator, with the reason, and how many it optimized
  --help               show this help

Exit codes: 0 success, 1 errors in the input (diagnostics on stderr), 2 usage errors.
`;
}

type Mode = 'link' | 'c' | 'S' | 'E';

interface CcArgs {
  inputs: string[];
  output?: string;
  mode: Mode;
  opts: BuildOptions & { includeDirs: string[]; defines: string[]; undefines: string[] };
  help: boolean;
  /** Link a hypervisor module image (docs/modules.md) instead of a hosted program. */
  module: boolean;
  /** Report the optimizer's fallbacks (--stats). */
  stats: boolean;
}

/** Unsigned 32-bit numbers in decimal, 0x, 0o or 0b notation. */
function parseAddress(text: string, flag: string): number {
  const m = /^(?:0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/i.exec(text.replace(/_/g, ''));
  const v = m ? Number(m[0]) : NaN;
  if (!Number.isInteger(v) || v > 0xffffffff) throw new UsageError(`${flag}: '${text}' is not a 32-bit unsigned number`);
  return v;
}

export function parseCcArgs(argv: readonly string[]): CcArgs {
  const a: CcArgs = { inputs: [], mode: 'link', opts: { includeDirs: [], defines: [], undefines: [] }, help: false, module: false, stats: false };
  const modes: Mode[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (flag: string, attached: string): string => {
      if (attached !== '') return attached;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const long = /^(--[a-z-]+)(?:=(.*))?$/.exec(arg);
    if (long) {
      const [, flag, inline] = long as unknown as [string, string, string | undefined];
      const v = (): string => value(flag, inline ?? '');
      const noValue = (): void => { if (inline !== undefined) throw new UsageError(`${flag} takes no value`); };
      switch (flag) {
        case '--help': noValue(); a.help = true; continue;
        case '--text-base': a.opts.textBase = parseAddress(v(), flag); continue;
        case '--data-base': a.opts.dataBase = parseAddress(v(), flag); continue;
        case '--bss-base': a.opts.bssBase = parseAddress(v(), flag); continue;
        case '--entry': a.opts.entry = v(); continue;
        case '--no-runtime': case '--freestanding': noValue(); a.opts.runtime = false; continue;
        case '--no-libc': noValue(); a.opts.libc = false; continue;
        case '--module': noValue(); a.module = true; continue;
        case '--stats': noValue(); a.stats = true; continue;
      }
      throw new UsageError(`unknown option '${flag}'`);
    }
    if (arg === '-' || !arg.startsWith('-')) { a.inputs.push(arg); continue; }
    if (arg === '-h') { a.help = true; continue; }
    if (arg === '-nostdlib') { a.opts.libc = false; continue; }
    if (arg === '-c' || arg === '-S' || arg === '-E') { modes.push(arg.slice(1) as Mode); continue; }
    if (/^-O[0-3s]?$/.test(arg)) {
      a.opts.optimize = arg !== '-O0';
      a.opts.opt = arg === '-O0' ? 0 : arg === '-O' || arg === '-O1' ? 1 : 2;
      continue;
    }
    const short = /^-([oIDU])(.*)$/.exec(arg);
    if (short) {
      const v = value(`-${short[1]}`, short[2]!);
      switch (short[1]) {
        case 'o': a.output = v; break;
        case 'I': a.opts.includeDirs.push(v); break;
        case 'D': a.opts.defines.push(v); break;
        case 'U': a.opts.undefines.push(v); break;
      }
      continue;
    }
    throw new UsageError(`unknown option '${arg}'`);
  }
  if (a.help) return a;
  if (new Set(modes).size > 1) throw new UsageError(`-${modes[0]} and -${modes.find((m) => m !== modes[0])} do not go together`);
  a.mode = modes[0] ?? 'link';
  if (a.inputs.length === 0) throw new UsageError('no input files');
  if (a.module && (a.opts.runtime === false || a.opts.textBase !== undefined || a.opts.entry !== undefined)) {
    throw new UsageError('--module sets the runtime, --text-base and --entry itself');
  }
  if (a.output !== undefined && a.inputs.length > 1 && a.mode !== 'link') {
    throw new UsageError(`-o with -${a.mode} takes one input file, got ${a.inputs.length}`);
  }
  checkBases(a);
  return a;
}

/**
 * Section bases must be 4-byte aligned (instructions are), and a hosted program's (with the
 * runtime, for `vamos run`) must lie in RAM, below 3 GiB: otherwise the link fails on crt0 with
 * a screenful of errors about code the user never wrote.
 */
function checkBases(a: CcArgs): void {
  const hosted = a.opts.runtime !== false;
  for (const [flag, v] of [['--text-base', a.opts.textBase], ['--data-base', a.opts.dataBase], ['--bss-base', a.opts.bssBase]] as const) {
    if (v === undefined) continue;
    if (v % 4 !== 0) throw new UsageError(`${flag}: 0x${v.toString(16)} is not a multiple of 4`);
    if (hosted && v >= MAX_RAM) throw new UsageError(`${flag}: 0x${v.toString(16)} is above the most RAM a VM has (0x${MAX_RAM.toString(16)}); a hosted program is loaded into RAM`);
  }
}

const replaceExt = (path: string, ext: string): string => basename(path).replace(/\.[^./]*$/, '') + ext;

export function ccMain(argv: string[], io: Io): number {
  const args = parseCcArgs(argv);
  if (args.help) { io.stdout(ccUsage()); return 0; }
  const inputs: { path: string; text: string }[] = [];
  for (const path of args.inputs) {
    try {
      inputs.push({ path, text: readHostText(path === '-' ? 0 : path) });
    } catch (e) {
      io.stderr(`vamos cc: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return 1;
    }
  }
  const opts = args.opts;
  if (args.stats) opts.stats = { functions: 0, fallbacks: [] };
  // A module's sources include <hostcall.h> when compiled alone (-c, -S, -E) too.
  if (args.module) opts.includeDirs.push(projectFile('middleware', 'include'));
  try {
    compileInputs(args, inputs, opts, io);
    if (opts.stats) io.stderr(statsText(opts.stats, opts.opt ?? GUEST_OPT_LEVEL));
    return 0;
  } catch (e) {
    if (e instanceof PpError || e instanceof CcError || e instanceof LinkError || e instanceof ImageError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    if (e instanceof WriteError) {
      io.stderr(`vamos cc: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function compileInputs(args: CcArgs, inputs: { path: string; text: string }[], opts: CcArgs['opts'], io: Io): void {
  switch (args.mode) {
    case 'E': {
      const text = inputs.map((i) => preprocessC(i.text, i.path, opts)).join('');
      if (args.output === undefined) io.stdout(text);
      else writeOut(args.output, text);
      return;
    }
    case 'S':
      for (const i of inputs) {
        if (inputKind(i.path, i.text) !== 'c') throw new UsageError(`-S takes C sources; '${i.path}' is not one`);
        writeOut(args.output ?? replaceExt(i.path, '.s'), compileC(i.text, i.path, opts));
      }
      return;
    case 'c':
      for (const i of inputs) writeOut(args.output ?? replaceExt(i.path, '.o'), toObject(i, opts).text);
      return;
    case 'link': {
      const image = args.module ? buildModule(inputs, opts) : build(inputs, opts).image;
      writeOut(args.output ?? 'a.img', writeImage(image));
    }
  }
}

/** --stats: each function the optimizer left to the -O0 generator, then the totals. */
function statsText(stats: CcStats, level: number): string {
  const lines = stats.fallbacks.map((f) => `vamos cc: ${f.file}:${f.line}: '${f.fn}' compiled at -O0: ${f.reason}\n`);
  const done = stats.functions - stats.fallbacks.length;
  return `${lines.join('')}vamos cc: -O${level}: ${done} of ${stats.functions} functions optimized, ${stats.fallbacks.length} at -O0\n`;
}

class WriteError extends Error {}

function writeOut(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new WriteError(`cannot write '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
