/**
 * Emulator speed (wall clock, never virtual time): guest MIPS of the interpreter on a CPU-bound
 * loop, and host nanoseconds per VM-exit round trip on a loop of `out` to the null port.
 * Each figure is the median of several runs after a warm-up run, all in this process.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { bootRom } from '../firmware/build.js';
import { assemble } from '../toolchain/as/assemble.js';
import type { Image } from '../toolchain/image/format.js';
import { projectFile } from '../vmm/paths.js';
import { Vm } from '../vmm/vm.js';

export interface CpuBenchResult {
  guestMips: number;
  nsPerExit: number;
  cpuLoop: { instructions: number; exitCode: number; runsMs: number[] };
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

function timeRuns(kernel: Image, runs: number): { vm: Vm; ms: number[]; exitCode: number } {
  const firmware = bootRom();
  const ms: number[] = [];
  let vm!: Vm;
  let exitCode = 0;
  for (let k = 0; k <= runs; k++) {
    vm = new Vm({ kernel, firmware, memSize: 16 << 20 });
    const t0 = performance.now();
    const r = vm.run();
    const t1 = performance.now();
    if (r.stop !== 'poweroff') throw new Error(`benchmark guest did not power off: ${r.message}`);
    exitCode = r.exitCode;
    if (k > 0) ms.push(t1 - t0); // run 0 warms up the JIT
  }
  return { vm, ms, exitCode };
}

export function cpuBench(runs = 9): CpuBenchResult {
  const cpu = timeRuns(guest('cpuloop.s'), runs);
  const instructions = cpu.vm.cpu.retired;
  const out = timeRuns(guest('outloop.s'), runs);
  const exits = out.vm.stats.totalCount;
  return {
    guestMips: instructions / median(cpu.ms) / 1e3,
    nsPerExit: (median(out.ms) * 1e6) / exits,
    cpuLoop: { instructions, exitCode: cpu.exitCode, runsMs: cpu.ms },
    outLoop: { exits, instructions: out.vm.cpu.retired, runsMs: out.ms },
  };
}
