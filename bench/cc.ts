/**
 * The C toolchain's benchmarks (wall clock): compile speed; end to end (`vamos cc file.c`: the
 * program compiled and linked with crt0 and the libc) with the libc cache cold, read from disk
 * and warm; and guest run time of CPU-bound C programs under vamos against the same programs
 * built by `gcc -O2` and run natively, as a ratio. `node dist/bench/cc-run.js` writes
 * bench/results/cc.json (as `npm run bench` does among the others).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bootRom } from '../firmware/build.js';
import { build, libcSources, type SourceInput } from '../toolchain/cc/driver.js';
import { compile } from '../toolchain/cc/compile.js';
import { forgetLibcMemo } from '../toolchain/cc/libc-cache.js';
import { preprocess } from '../toolchain/cc/preprocess.js';
import { unitPrefixFor } from '../toolchain/ld/object.js';
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
  /** Guest instructions executed by the program built at -O2 (the one timed), crt0 and libc included. */
  instructions: number;
  /** The same program (and libc) built at -O0. */
  instructionsO0: number;
  /**
   * Native instructions of the program built by `gcc -O2 -fno-tree-vectorize`, counted by
   * valgrind's callgrind (the dynamic loader and glibc's start-up included); undefined when
   * valgrind is not installed.
   */
  gccInstructions: number | undefined;
  /** instructions / gccInstructions: the compiler's code against gcc's, instruction for instruction. */
  instructionRatio: number | undefined;
  /** Guest instructions per wall-clock microsecond: the interpreter's speed on this program. */
  guestMips: number;
}

/** Building every corpus program as `vamos cc prog.c -o prog.img` does (minus writing the file). */
export interface EndToEnd {
  /** C lines of the corpus programs (the libc's are not counted: it is part of the toolchain). */
  lines: number;
  images: number;
  /**
   * Libc cache empty (memory and disk): the first build compiles the libc and stores it, and
   * each libc member is pre-assembled for the linker when a program first needs it.
   */
  coldMs: number;
  coldLinesPerSecond: number;
  /** A new process with the disk cache filled: the libc objects are read, not compiled. */
  diskMs: number;
  diskLinesPerSecond: number;
  /** Steady state: the libc objects and their pre-assembled forms in memory. */
  warmMs: number;
  warmLinesPerSecond: number;
}

export interface CcBenchResult {
  /** End to end with the libc cache warm: the same as endToEnd.warmLinesPerSecond. */
  linesPerSecond: number;
  /** C lines (libc and corpus, headers not counted) through the preprocessor and the compiler at -O2, per second. */
  compileOnlyLinesPerSecond: number;
  /** The same at -O0. */
  compileOnlyLinesPerSecondO0: number;
  /** Lines the compile-only figure counts. */
  lines: number;
  units: number;
  /** Compile-only time split (the median run). */
  phasesMs: { preprocess: number; compile: number };
  endToEnd: EndToEnd;
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

interface CompileRun { pre: number; cc: number }

const lineCount = (text: string): number => text.split('\n').length;

/** The level the programs, the end-to-end builds and the compile-only figure use. */
const OPT = 2;

/** Every unit preprocessed and compiled once (no objects, no linking). */
function compileRun(units: readonly SourceInput[], opt = OPT): CompileRun {
  let pre = 0;
  let cc = 0;
  for (const s of units) {
    const t0 = performance.now();
    const text = preprocess(s.text, { file: s.path });
    const t1 = performance.now();
    compile(text, { file: s.path, unitPrefix: unitPrefixFor(s.path), opt });
    pre += t1 - t0;
    cc += performance.now() - t1;
  }
  return { pre, cc };
}

/** Wall clock of building every program, each alone, as the CLI does. */
function buildAll(corpus: readonly SourceInput[], libcCacheDir: string): number {
  const t0 = performance.now();
  for (const src of corpus) build([src], { libcCacheDir, opt: OPT });
  return performance.now() - t0;
}

/**
 * Each round: a fresh cache directory and no libc in memory (cold), then the libc in memory
 * forgotten again so it is read from that directory (disk), then as it is (warm).
 */
function endToEnd(corpus: readonly SourceInput[], runs: number): EndToEnd {
  const lines = corpus.reduce((n, s) => n + lineCount(s.text), 0);
  const cold: number[] = [];
  const disk: number[] = [];
  const warm: number[] = [];
  for (let k = -4; k < runs; k++) { // four rounds warm V8 up
    const dir = mkdtempSync(join(tmpdir(), 'vamos-ccbench-libc-'));
    try {
      forgetLibcMemo();
      const c = buildAll(corpus, dir);
      forgetLibcMemo();
      const d = buildAll(corpus, dir);
      const w = buildAll(corpus, dir);
      if (k >= 0) { cold.push(c); disk.push(d); warm.push(w); }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forgetLibcMemo(); // the next user of the libc should not get objects from a deleted directory's key
    }
  }
  const lps = (ms: number): number => lines / (ms / 1e3);
  const [c, d, w] = [median(cold), median(disk), median(warm)];
  return {
    lines, images: corpus.length,
    coldMs: c, coldLinesPerSecond: lps(c), diskMs: d, diskLinesPerSecond: lps(d), warmMs: w, warmLinesPerSecond: lps(w),
  };
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

/** Instructions callgrind counts for gcc -O2 -fno-tree-vectorize's build; undefined without valgrind. */
function gccInstructions(src: SourceInput, dir: string): number | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return undefined;
  const exe = join(dir, src.path.replace(/^.*\//, '').replace(/\.c$/, '.novec'));
  execFileSync('gcc', ['-std=c99', '-O2', '-fno-tree-vectorize', '-o', exe, src.path], { stdio: 'pipe' });
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${exe}.callgrind`, exe], { encoding: 'latin1' });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`callgrind failed on ${src.path}: ${r.stderr.slice(-500)}`);
  return Number(m[1]);
}

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
  const units = [...libc, ...corpus];
  const lines = units.reduce((n, s) => n + lineCount(s.text), 0);
  // The compiler reaches its steady speed only after V8 has optimised it: measured, the time
  // per round keeps falling for about 25 rounds (from 500 ms in the first to 30 ms).
  for (let k = 0; k < 30; k++) compileRun(units);
  const samples = Array.from({ length: Math.max(runs, 25) }, () => compileRun(units));
  const compileOnly = samples.map((s) => s.pre + s.cc);
  const mid = samples[compileOnly.indexOf(median(compileOnly))] ?? samples[0]!;
  for (let k = 0; k < 10; k++) compileRun(units, 0);
  const compileOnlyO0 = Array.from({ length: Math.max(runs, 25) }, () => compileRun(units, 0)).map((s) => s.pre + s.cc);
  const e2e = endToEnd(corpus, Math.max(runs, 7));

  const dir = mkdtempSync(join(tmpdir(), 'vamos-ccbench-'));
  const programs: Record<string, GuestFigures> = {};
  let forkMs = 0;
  let valgrind = true;
  for (const src of corpusSources((f) => f.startsWith('bench_'))) {
    const name = src.path.replace(/^.*\/bench_/, '').replace(/\.c$/, '');
    const v = timeVamos(build([src], { opt: OPT }).image, runs);
    const v0 = timeVamos(build([src], { opt: 0 }).image, 0);
    const n = timeNative(src, dir, runs);
    if (v.out !== n.out || v.status !== n.status || v0.out !== n.out) throw new Error(`${name}: vamos and native runs disagree`);
    const g = gccInstructions(src, dir);
    if (g === undefined) valgrind = false;
    forkMs = n.forkMs;
    programs[name] = {
      vamosMs: v.ms, nativeMs: n.ms, nativeRawMs: n.rawMs, ratio: v.ms / n.ms, instructions: v.instructions,
      instructionsO0: v0.instructions, gccInstructions: g, instructionRatio: g === undefined ? undefined : v.instructions / g,
      guestMips: v.instructions / v.ms / 1e3,
    };
  }
  return {
    linesPerSecond: e2e.warmLinesPerSecond,
    compileOnlyLinesPerSecond: lines / (median(compileOnly) / 1e3),
    compileOnlyLinesPerSecondO0: lines / (median(compileOnlyO0) / 1e3),
    lines,
    units: units.length,
    phasesMs: { preprocess: mid.pre, compile: mid.cc },
    endToEnd: e2e,
    programs,
    forkMs,
    notes: 'compile only: median of 25 runs after 30 warm-up runs, at -O2 (compileOnlyLinesPerSecondO0: at -O0). endToEnd: median of 7 rounds (cold, disk and warm in each) after 4 warm-up rounds, at -O2; lines are the corpus programs\' own. vamos: the program and the libc at -O2; median wall clock of vm.run() after a warm-up run (boot ROM included); instructionsO0: the same at -O0. native: gcc -O2; median wall clock of fork + main + exit in a C driver, less forkMs (fork + exit of a child that does nothing). gccInstructions: gcc -O2 -fno-tree-vectorize, counted by valgrind --tool=callgrind (start-up included)' + (valgrind ? '.' : '; valgrind is not installed here (apt-get install valgrind), so gccInstructions and instructionRatio are missing.'),
  };
}
