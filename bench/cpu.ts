/**
 * Emulator speed (wall clock, never virtual time), all measured in one run of this process:
 * - guest MIPS on a CPU-bound loop with paging off (bench/guests/cpuloop.s), with the region
 *   compiler (`guestMips`) and the interpreter (`guestMipsInterp`);
 * - guest MIPS of a ring-3 program under the kernel, paging on (guest-os/user/cpubench: the
 *   compiler benchmark's sort, crc32, sieve, matmul and strings), timed from init starting it to
 *   its exit, with the compiler (`guestMipsPaged`) and the interpreter (`guestMipsPagedInterp`);
 * - host nanoseconds per VM-exit round trip on a loop of `out` to the null port (`nsPerExit`,
 *   with the default tier);
 * - the code cache: regions, Wasm bytes, estimated memory, compile time per region.
 * Each figure is the median of several runs after a warm-up run, all in this process.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { bootRom } from '../firmware/build.js';
import { assemble } from '../toolchain/as/assemble.js';
import type { Image } from '../toolchain/image/format.js';
import { projectFile } from '../vmm/paths.js';
import { Vm } from '../vmm/vm.js';
import type { CpuMode, JitStats } from '../vmm/cpu/jit.js';
import { osMachine } from '../testing/os.js';

export interface CpuBenchResult {
  guestMips: number;
  guestMipsInterp: number;
  guestMipsPaged: number;
  guestMipsPagedInterp: number;
  nsPerExit: number;
  codeCache: {
    /** cpuloop and cpubench (the largest): live regions, their Wasm bytes, and estimated memory. */
    cpuLoop: JitStats;
    cpubench: JitStats;
    /** Host milliseconds compiling (decode, emit, WebAssembly.Module + Instance) per region, cpubench run. */
    compileMsPerRegion: number;
  };
  cpuLoop: { instructions: number; exitCode: number; runsMs: number[]; interpRunsMs: number[] };
  cpubench: { instructions: number; runsMs: number[]; interpRunsMs: number[] };
  outLoop: { exits: number; instructions: number; runsMs: number[] };
}

function guest(name: string): Image {
  const file = projectFile('bench', 'guests', name);
  return assemble(readFileSync(file, 'utf8'), { file }).image;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timeRuns(kernel: Image, runs: number, cpu?: CpuMode): { vm: Vm; ms: number[]; exitCode: number } {
  const firmware = bootRom();
  const ms: number[] = [];
  let vm!: Vm;
  let exitCode = 0;
  for (let k = 0; k <= runs; k++) {
    vm = new Vm({ kernel, firmware, memSize: 16 << 20, cpu });
    const t0 = performance.now();
    const r = vm.run();
    const t1 = performance.now();
    if (r.stop !== 'poweroff') throw new Error(`benchmark guest did not power off: ${r.message}`);
    exitCode = r.exitCode;
    if (k > 0) ms.push(t1 - t0); // run 0 warms up V8
  }
  return { vm, ms, exitCode };
}

/** One cpubench run; the timed window is init's start line to its "cpubench exited" line. */
function cpubenchRun(cpu: CpuMode): { instructions: number; ms: number; jit: JitStats | undefined; compileMs: number } {
  let line = '';
  const marks: [number, number][] = [];
  let vm!: Vm;
  const m = osMachine({
    programs: ['init', 'cpubench'], cmdline: 'run=cpubench', cpu,
    onConsole: (b) => {
      if (b !== 10) { line += String.fromCharCode(b); return; }
      if (line === 'init: vamos userland' || line.startsWith('init: cpubench exited')) marks.push([performance.now(), vm.cpu.retired]);
      line = '';
    },
  });
  vm = m.vm;
  if (vm.cpu.jit) vm.cpu.jit.timer = () => performance.now();
  const r = m.run();
  if (r.exitCode !== 0 || marks.length !== 2) throw new Error(`cpubench did not run to completion: ${r.message}`);
  return {
    instructions: marks[1][1] - marks[0][1], ms: marks[1][0] - marks[0][0],
    jit: vm.cpu.jit?.report(), compileMs: vm.cpu.jit?.compileMs ?? 0,
  };
}

export function cpuBench(runs = 9, pagedRuns = 3): CpuBenchResult {
  const jit = timeRuns(guest('cpuloop.s'), runs, 'jit');
  const interp = timeRuns(guest('cpuloop.s'), runs, 'interp');
  const instructions = jit.vm.cpu.retired;
  if (interp.vm.cpu.retired !== instructions || interp.exitCode !== jit.exitCode) throw new Error('cpuloop: the tiers disagree');
  const out = timeRuns(guest('outloop.s'), runs);
  const exits = out.vm.stats.totalCount;
  const paged = { jit: [] as number[], interp: [] as number[] };
  let pagedInsns = 0;
  let last: ReturnType<typeof cpubenchRun> | undefined;
  for (let k = 0; k <= pagedRuns; k++) {
    for (const cpu of ['jit', 'interp'] as const) {
      const r = cpubenchRun(cpu);
      if (pagedInsns !== 0 && r.instructions !== pagedInsns) throw new Error('cpubench: the tiers disagree');
      pagedInsns = r.instructions;
      if (k > 0) paged[cpu].push(r.ms);
      if (cpu === 'jit') last = r;
    }
  }
  return {
    guestMips: instructions / median(jit.ms) / 1e3,
    guestMipsInterp: instructions / median(interp.ms) / 1e3,
    guestMipsPaged: pagedInsns / median(paged.jit) / 1e3,
    guestMipsPagedInterp: pagedInsns / median(paged.interp) / 1e3,
    nsPerExit: (median(out.ms) * 1e6) / exits,
    codeCache: {
      cpuLoop: jit.vm.cpu.jit!.report(),
      cpubench: last!.jit!,
      compileMsPerRegion: last!.compileMs / Math.max(1, last!.jit!.compiled + last!.jit!.uncompilable),
    },
    cpuLoop: { instructions, exitCode: jit.exitCode, runsMs: jit.ms, interpRunsMs: interp.ms },
    cpubench: { instructions: pagedInsns, runsMs: paged.jit, interpRunsMs: paged.interp },
    outLoop: { exits, instructions: out.vm.cpu.retired, runsMs: out.ms },
  };
}
