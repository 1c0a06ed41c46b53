/**
 * bench/results/paper.json: the VAMOS sweep (middleware/experiment/sweep.ts, FULL_SWEEP), one
 * entry per point with each placement's throughput, `improvement` (VAMOS over baseline, as a
 * fraction) and `exitReduction` (baseline exits per operation over VAMOS's). Virtual time: the
 * numbers are the model's and do not depend on the host.
 *
 * The sweep runs with the region compiler on one worker and on two (`--jobs 2`), and with the
 * interpreter (`--cpu interp`) on one, and records each wall time (`wallTime`, and
 * `wallTimeMs` by tier); all three must give the same points bit for bit (else this throws),
 * since a point's numbers can depend neither on the thread that ran it nor on the tier.
 */
import { availableParallelism } from 'node:os';
import { FULL_SWEEP } from '../middleware/experiment/sweep.js';
import { runSweepParallel } from '../middleware/experiment/parallel.js';
import { sweepJson, sweepTable } from '../middleware/experiment/report.js';
import { defaultCpuMode, setDefaultCpuMode, type CpuMode } from '../vmm/cpu/jit.js';

export async function paperBench(onProgress?: (line: string) => void): Promise<{ json: Record<string, unknown>; table: string }> {
  const run = async (jobs: number, cpu: CpuMode = 'jit'): Promise<{ json: Record<string, unknown>; table: string; seconds: number }> => {
    const before = defaultCpuMode();
    // The tier of the vCPUs this thread creates (worker threads start with the default, jit).
    setDefaultCpuMode(cpu);
    const t0 = performance.now();
    const indexed = await runSweepParallel(FULL_SWEEP, {
      jobs,
      onLoaded: (s) => onProgress?.(`jobs ${jobs}: loaded ${FULL_SWEEP.records} records (${s.toFixed(0)} s)`),
      onProgress: (p) => onProgress?.(`jobs ${jobs}: [${p.done}/${p.total}] ${p.label}`),
    });
    setDefaultCpuMode(before);
    const points = indexed.map((x) => x.point);
    return { json: sweepJson(FULL_SWEEP, points), table: sweepTable(points), seconds: (performance.now() - t0) / 1000 };
  };
  const one = await run(1);
  const two = await run(2);
  if (JSON.stringify(one.json) !== JSON.stringify(two.json)) throw new Error('paper: --jobs 2 gave different points from --jobs 1');
  const interp = await run(1, 'interp');
  if (JSON.stringify(one.json) !== JSON.stringify(interp.json)) throw new Error('paper: --cpu interp gave different points from --cpu jit');
  return {
    json: {
      ...one.json,
      // Host wall time of the whole sweep (load included): the only host-dependent figures here.
      wallTime: { jobs1Seconds: one.seconds, jobs2Seconds: two.seconds, hostCpus: availableParallelism(), node: process.version },
      // The same sweep on one thread by execution tier (issue 13: the compiler's gain on the sweep).
      wallTimeMs: { jit: Math.round(one.seconds * 1000), interp: Math.round(interp.seconds * 1000), speedup: interp.seconds / one.seconds },
    },
    table: one.table,
  };
}
