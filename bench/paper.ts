/**
 * bench/results/paper.json: the VAMOS sweep (middleware/experiment/sweep.ts, FULL_SWEEP), one
 * entry per point with each placement's throughput, `improvement` (VAMOS over baseline, as a
 * fraction) and `exitReduction` (baseline exits per operation over VAMOS's). Virtual time: the
 * numbers are the model's and do not depend on the host.
 */
import { FULL_SWEEP, runSweep } from '../middleware/experiment/sweep.js';
import { sweepJson, sweepTable } from '../middleware/experiment/report.js';

export function paperBench(onProgress?: (line: string) => void): { json: Record<string, unknown>; table: string } {
  const points = runSweep(FULL_SWEEP, { onProgress: (p) => onProgress?.(`[${p.done}/${p.total}] ${p.label}`) });
  return { json: sweepJson(FULL_SWEEP, points), table: sweepTable(points) };
}
