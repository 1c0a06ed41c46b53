/**
 * The cost of `--trace` (wall clock, never virtual time): host time of an exit-heavy run with
 * tracing against the same run without, as a ratio (target under 1.3), and the bytes the trace
 * takes per exit. Runs alternate plain and traced after a warm-up of each, and the figures are
 * medians, so JIT warm-up and a noisy neighbour move both sides alike.
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
  exits: number;
  plainMs: number[];
  tracedMs: number[];
  ringMs: number[];
}

export const RING_SIZE = 4096;

export function traceBench(runs = 9): TraceBenchResult {
  const file = projectFile('bench', 'guests', 'outloop.s');
  const kernel = assemble(readFileSync(file, 'utf8'), { file }).image;
  const firmware = bootRom();
  const dir = mkdtempSync(join(tmpdir(), 'vamos-trace-bench-'));
  const path = join(dir, 'outloop.trc');
  let exits = 0;
  let bytes = 0;

  const once = (mode: 'plain' | 'stream' | 'ring'): number => {
    const trace = mode === 'plain' ? undefined : new TraceRecorder(path, mode === 'ring' ? { ring: RING_SIZE } : {});
    const t0 = performance.now();
    const vm = new Vm({ kernel, firmware, memSize: 16 << 20, trace });
    const r = vm.run();
    trace?.close({ profile: vm.profile.name, cpuHz: vm.profile.cpuHz, stop: r.message, symbols: kernel.symbols.map(({ name, value, size }) => ({ name, value, size })) });
    const ms = performance.now() - t0;
    if (r.stop !== 'poweroff') throw new Error(`benchmark guest did not power off: ${r.message}`);
    exits = vm.stats.totalCount;
    if (mode === 'stream') bytes = statSync(path).size;
    return ms;
  };

  const plainMs: number[] = [], tracedMs: number[] = [], ringMs: number[] = [];
  try {
    once('plain'); once('stream'); once('ring'); // warm-up: JIT, page cache
    for (let k = 0; k < runs; k++) {
      plainMs.push(once('plain'));
      tracedMs.push(once('stream'));
      ringMs.push(once('ring'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    traceOverheadRatio: median(tracedMs) / median(plainMs),
    bytesPerExit: bytes / exits,
    ringOverheadRatio: median(ringMs) / median(plainMs),
    exits, plainMs, tracedMs, ringMs,
  };
}
