/**
 * The cost of `--trace` (wall clock, never virtual time): host time of an exit-heavy run with
 * tracing against the same run without, as a ratio (target under 1.3), and the bytes the trace
 * takes per exit. After two warm-up rounds, each round runs plain, streamed and ring once, in an
 * order that rotates from round to round (so no mode always follows the same one, e.g. inherits
 * its garbage), and the figures are medians over the rounds: JIT warm-up and a noisy neighbour
 * move every mode alike. The timed part of a traced run is what `vamos boot --trace` adds: opening
 * a new trace file, recording, and closing it (every byte handed to the OS); removing the previous
 * run's file is not timed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bootRom } from '../firmware/build.js';
import { assemble } from '../toolchain/as/assemble.js';
import { projectFile } from '../vmm/paths.js';
import { TraceRecorder } from '../vmm/trace/recorder.js';
import { Vm } from '../vmm/vm.js';
import { median } from './cpu.js';

export interface TraceBenchResult {
  /** Median host time traced / median host time plain. */
  traceOverheadRatio: number;
  /** Trace file bytes (records, trailer and footer) per exit. */
  bytesPerExit: number;
  /** The same ratio with a bounded ring (--trace-ring) instead of a streamed file. */
  ringOverheadRatio: number;
  /**
   * The same ratio in CPU time of the whole process (all threads, so the writer thread's work
   * counts): unlike wall time, it does not grow when a busy host keeps the run waiting for a core.
   */
  traceCpuRatio: number;
  exits: number;
  plainMs: number[];
  tracedMs: number[];
  ringMs: number[];
  plainCpuMs: number[];
  tracedCpuMs: number[];
  ringCpuMs: number[];
}

export const RING_SIZE = 4096;

export function traceBench(runs = 15): TraceBenchResult {
  const file = projectFile('bench', 'guests', 'outloop.s');
  const kernel = assemble(readFileSync(file, 'utf8'), { file }).image;
  const firmware = bootRom();
  const dir = mkdtempSync(join(tmpdir(), 'vamos-trace-bench-'));
  const path = join(dir, 'outloop.trc');
  let exits = 0;
  let bytes = 0;

  type Mode = 'plain' | 'stream' | 'ring';
  const cpuMs: Record<Mode, number[]> = { plain: [], stream: [], ring: [] };
  const once = (mode: Mode): number => {
    rmSync(path, { force: true });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const trace = mode === 'plain' ? undefined : new TraceRecorder(path, mode === 'ring' ? { ring: RING_SIZE } : {});
    const vm = new Vm({ kernel, firmware, memSize: 16 << 20, trace });
    const r = vm.run();
    trace?.close({ profile: vm.profile.name, cpuHz: vm.profile.cpuHz, stop: r.message, symbols: kernel.symbols.map(({ name, value, size }) => ({ name, value, size })) });
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpuMs[mode].push((c.user + c.system) / 1e3);
    if (r.stop !== 'poweroff') throw new Error(`benchmark guest did not power off: ${r.message}`);
    exits = vm.stats.totalCount;
    if (mode === 'stream') bytes = statSync(path).size;
    return ms;
  };

  const plainMs: number[] = [], tracedMs: number[] = [], ringMs: number[] = [];
  const modes: Mode[] = ['plain', 'stream', 'ring'];
  const times: Record<Mode, number[]> = { plain: plainMs, stream: tracedMs, ring: ringMs };
  try {
    for (let k = 0; k < 2; k++) for (const m of modes) once(m); // warm-up: JIT, page cache, writer thread
    for (const m of modes) cpuMs[m].length = 0;
    for (let k = 0; k < runs; k++) {
      for (let j = 0; j < modes.length; j++) {
        const m = modes[(j + k) % modes.length]!;
        times[m].push(once(m));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    traceOverheadRatio: median(tracedMs) / median(plainMs),
    bytesPerExit: bytes / exits,
    ringOverheadRatio: median(ringMs) / median(plainMs),
    traceCpuRatio: median(cpuMs.stream) / median(cpuMs.plain),
    exits, plainMs, tracedMs, ringMs,
    plainCpuMs: cpuMs.plain, tracedCpuMs: cpuMs.stream, ringCpuMs: cpuMs.ring,
  };
}
