/** Compiles C with toolchain/cc, links it with a tiny entry stub and runs it in a Vm. */
import { compile } from '../../toolchain/cc/compile.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { bootRom } from '../../firmware/build.js';
import { Vm } from '../../vmm/vm.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasGcc = (() => {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

let dir: string | undefined;

/** Builds and runs a program (with PRELUDE and PRINT) natively with gcc: the reference behaviour. */
export function native(name: string, src: string): { out: string; code: number } {
  dir ??= mkdtempSync(join(tmpdir(), 'vamos-cc-'));
  const c = join(dir, `${name}.c`);
  const exe = join(dir, name);
  writeFileSync(c, PRELUDE + PRINT + src);
  execFileSync('gcc', ['-std=c99', '-w', '-O0', '-o', exe, c]);
  const r = spawnSync(exe, { encoding: 'utf8', timeout: 60_000 });
  return { out: r.stdout, code: r.status ?? -1 };
}

/** _start calls main and powers off with its return value; putchar writes to the serial port. */
export const STUB = `
_start:
        mov esp, 0x1000000
        call main
        outd 0xf4, eax
        hlt
putchar:
        mov eax, [esp + 4]
        outb 0x3f8, eax
        ret
`;

export const PRELUDE = 'int putchar(int c);\n';

export interface RunOutput {
  out: string;
  code: number;
  stop: string;
  asm: string;
  instructions: number;
}

let firmware: ReturnType<typeof bootRom> | undefined;

/** The optimization levels every differential test runs at (docs/cc-optimizer.md). */
export const OPT_LEVELS = [0, 1, 2] as const;

export function runC(source: string, opts: { prelude?: boolean; maxInstructions?: number; opt?: number } = {}): RunOutput {
  const asm = compile((opts.prelude === false ? '' : PRELUDE) + source, { file: 'test.c', opt: opts.opt ?? 0 });
  const { image } = assemble(STUB + asm, { file: 'test.s' });
  firmware ??= bootRom();
  let out = '';
  const vm = new Vm({ kernel: image, firmware, console: (b) => { out += String.fromCharCode(b); }, maxInstructions: opts.maxInstructions ?? 50_000_000 });
  const r = vm.run();
  return { out, code: r.exitCode, stop: r.stop === 'poweroff' ? 'poweroff' : `${r.stop}: ${r.message}`, asm, instructions: r.instructions };
}

/** A printf-less way to show numbers: prints decimal and a newline. */
export const PRINT = `
static void print_u(unsigned v) { char b[12]; int n = 0; do { b[n++] = '0' + v % 10; v /= 10; } while (v); while (n) putchar(b[--n]); }
static void print(int v) { if (v < 0) { putchar('-'); print_u(-(unsigned)v); } else print_u(v); putchar('\\n'); }
static void print_ull(unsigned long long v) { char b[24]; int n = 0; do { b[n++] = '0' + (int)(v % 10); v /= 10; } while (v); while (n) putchar(b[--n]); putchar('\\n'); }
static void print_ll(long long v) { if (v < 0) { putchar('-'); print_ull(-(unsigned long long)v); } else print_ull(v); }
static void puts_(const char *s) { while (*s) putchar(*s++); putchar('\\n'); }
`;
