/**
 * The C toolchain's benchmarks (wall clock): compile speed, end to end through the linker, on
 * the libc and the test corpus; and guest run time of CPU-bound C programs under vamos against
 * the same programs built by `gcc -O2` and run natively, as a ratio. Run directly
 * (`node dist/bench/cc.js`) it writes bench/results/cc.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bootRom } from '../firmware/build.js';
import { build, libcObjects, libcSources, runtimeObjects, type SourceInput } from '../toolchain/cc/driver.js';
import { compile } from '../toolchain/cc/compile.js';
import { preprocess } from '../toolchain/cc/preprocess.js';
import { link } from '../toolchain/ld/link.js';
import { objectText, parseObject, unitPrefixFor, type ObjectFile } from '../toolchain/ld/object.js';
import type { Image } from '../toolchain/image/format.js';
import { projectFile } from '../vmm/paths.js';
import { Vm } from '../vmm/vm.js';

export interface GuestFigures {
  vamosMs: number;
  /** Wall clock of the native main, less the cost of forking a child (see forkMs). */
  nativeMs: number;
  /** Wall clock of fork + main + exit. */
  nativeRawMs: number;
  ratio: number;
  instructions: number;
  /** Guest instructions per wall-clock microsecond: the interpreter's speed on this program. */
  guestMips: number;
}

export interface CcBenchResult {
  /** C source lines (libc and corpus, headers not counted) per second, preprocessing to images. */
  linesPerSecond: number;
  /** The same lines through the preprocessor and the compiler only (no assembling, no linking). */
  compileOnlyLinesPerSecond: number;
  lines: number;
  units: number;
  images: number;
  phasesMs: { preprocess: number; compile: number; link: number };
  /** Lines of assembly the links assembled in all (the libc members again for every program). */
  linkedAsmLines: number;
  /** linkedAsmLines per second of linking: the assembler's throughput, which bounds the rest. */
  assemblerLinesPerSecond: number;
  /** Lines of assembly the compiler writes per line of C, over the same units. */
  asmLinesPerCLine: number;
  programs: Record<string, GuestFigures>;
  /** Wall clock to fork and reap a child that does nothing, subtracted from each native time. */
  forkMs: number;
  notes: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function corpusSources(filter: (name: string) => boolean): SourceInput[] {
  const dir = projectFile('tests', 'cc', 'corpus');
  return readdirSync(dir).filter((f) => f.endsWith('.c') && filter(f)).sort()
    .map((f) => ({ path: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}

interface CompileRun { pre: number; cc: number; link: number; images: number; asmLines: number; linkedAsmLines: number }

const lineCount = (text: string): number => text.split('\n').length;

/** Every unit compiled once; every corpus program linked with crt0 and the libc library. */
function compileRun(libc: SourceInput[], corpus: SourceInput[]): CompileRun {
  let pre = 0;
  let cc = 0;
  const unit = (s: SourceInput): ObjectFile => {
    const t0 = performance.now();
    const text = preprocess(s.text, { file: s.path });
    const t1 = performance.now();
    const prefix = unitPrefixFor(s.path);
    const asm = compile(text, { file: s.path, unitPrefix: prefix });
    pre += t1 - t0;
    cc += performance.now() - t1;
    return parseObject(s.path, objectText(asm, prefix, s.path));
  };
  const lib = [...libc.map(unit), ...libcObjects().filter((o) => o.name.endsWith('.s'))];
  const programs = corpus.map(unit);
  const t0 = performance.now();
  const crt0 = runtimeObjects();
  let linkedAsmLines = 0;
  for (const p of programs) {
    const r = link([...crt0, p], { libraries: [lib] });
    for (const o of r.objects) linkedAsmLines += lineCount(o.text);
  }
  const asmLines = [...lib, ...programs].reduce((n, o) => n + (o.unit ? lineCount(o.text) : 0), 0);
  return { pre, cc, link: performance.now() - t0, images: programs.length, asmLines, linkedAsmLines };
}

function timeVamos(image: Image, runs: number): { ms: number; out: string; status: number; instructions: number } {
  const firmware = bootRom();
  const ms: number[] = [];
  let out = '';
  let status = -1;
  let instructions = 0;
  for (let k = 0; k <= runs; k++) {
    let text = '';
    const vm = new Vm({ kernel: image, firmware, console: (b) => { text += String.fromCharCode(b); } });
    const t0 = performance.now();
    const r = vm.run();
    const t1 = performance.now();
    if (r.stop !== 'poweroff') throw new Error(`benchmark guest did not power off: ${r.message}`);
    if (k > 0) ms.push(t1 - t0); // run 0 warms up the JIT
    out = text;
    status = r.exitCode & 0xff;
    instructions = r.instructions;
  }
  return { ms: median(ms), out, status, instructions };
}

/**
 * Times a native program without the cost of starting a process from Node (tens of
 * milliseconds, more than some programs take): a C driver forks a child per run that calls the
 * program's main (renamed), and subtracts what forking a child that does nothing costs.
 */
const NATIVE_DRIVER = `#define _POSIX_C_SOURCE 199309L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int bench_main(void);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double median_run(int runs, int work) {
    double ms[64];
    int i;
    for (i = 0; i < runs; i++) {
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 1);
            _exit(work ? bench_main() : 0);
        }
        waitpid(pid, NULL, 0);
        ms[i] = now() - t0;
    }
    qsort(ms, (size_t)runs, sizeof ms[0], cmp);
    return ms[runs / 2];
}
int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1) runs = 1;
    if (runs > 64) runs = 64;
    printf("%f %f\\n", median_run(runs, 1), median_run(runs, 0));
    return 0;
}
`;

function timeNative(src: SourceInput, dir: string, runs: number): { ms: number; rawMs: number; forkMs: number; out: string; status: number } {
  const base = join(dir, src.path.replace(/^.*\//, '').replace(/\.c$/, ''));
  execFileSync('gcc', ['-std=c99', '-O2', '-o', base, src.path], { stdio: 'pipe' });
  const r = spawnSync(base, [], { encoding: 'latin1' });
  writeFileSync(join(dir, 'driver.c'), NATIVE_DRIVER);
  execFileSync('gcc', ['-std=c99', '-O2', '-Dmain=bench_main', '-c', '-o', `${base}.o`, src.path], { stdio: 'pipe' });
  execFileSync('gcc', ['-O2', '-o', `${base}.timed`, join(dir, 'driver.c'), `${base}.o`], { stdio: 'pipe' });
  const [raw, fork] = execFileSync(`${base}.timed`, [String(runs * 3)], { encoding: 'utf8' }).trim().split(' ').map(Number) as [number, number];
  // A floor keeps the ratio finite when a run is shorter than the noise in forking.
  return { ms: Math.max(0.05, raw - fork), rawMs: raw, forkMs: fork, out: r.stdout, status: r.status ?? -1 };
}

export function ccBench(runs = 5): CcBenchResult {
  const libc = libcSources();
  const corpus = corpusSources(() => true);
  const lines = [...libc, ...corpus].reduce((n, s) => n + s.text.split('\n').length, 0);
  // The compiler reaches its steady speed only after V8 has optimised it: about four rounds.
  for (let k = 0; k < 4; k++) compileRun(libc, corpus);
  const samples = Array.from({ length: runs }, () => compileRun(libc, corpus));
  const total = samples.map((s) => s.pre + s.cc + s.link);
  const compileOnly = samples.map((s) => s.pre + s.cc);
  const mid = samples[total.indexOf(median(total))] ?? samples[0]!;

  const dir = mkdtempSync(join(tmpdir(), 'vamos-ccbench-'));
  const programs: Record<string, GuestFigures> = {};
  let forkMs = 0;
  for (const src of corpusSources((f) => f.startsWith('bench_'))) {
    const name = src.path.replace(/^.*\/bench_/, '').replace(/\.c$/, '');
    const { image } = build([src], { optimize: true });
    const v = timeVamos(image, runs);
    const n = timeNative(src, dir, runs);
    if (v.out !== n.out || v.status !== n.status) throw new Error(`${name}: vamos and native runs disagree`);
    forkMs = n.forkMs;
    programs[name] = {
      vamosMs: v.ms, nativeMs: n.ms, nativeRawMs: n.rawMs, ratio: v.ms / n.ms, instructions: v.instructions, guestMips: v.instructions / v.ms / 1e3,
    };
  }
  return {
    linesPerSecond: lines / (median(total) / 1e3),
    compileOnlyLinesPerSecond: lines / (median(compileOnly) / 1e3),
    lines,
    units: libc.length + corpus.length,
    images: mid.images,
    phasesMs: { preprocess: mid.pre, compile: mid.cc, link: mid.link },
    linkedAsmLines: mid.linkedAsmLines,
    assemblerLinesPerSecond: mid.linkedAsmLines / (mid.link / 1e3),
    asmLinesPerCLine: mid.asmLines / lines,
    programs,
    forkMs,
    notes: 'vamos: median wall clock of vm.run() after a warm-up run (boot ROM included). native: gcc -O2; median wall clock of fork + main + exit in a C driver, less forkMs (fork + exit of a child that does nothing).',
  };
}
