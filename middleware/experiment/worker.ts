/**
 * A worker thread of parallel.ts: keeps the sweep's configuration and its loaded volume, runs
 * the tasks it is sent one at a time and posts each compared point back (without the guest's
 * console text, which no report uses and which would only fatten the message).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { comparePoint, type SweepConfig, type SweepTask } from './sweep.js';
import { setDefaultCpuMode, type CpuMode } from '../../vmm/cpu/jit.js';

// The execution tier is process-wide (--cpu sets it in the main thread): a worker is a new
// module instance, so it gets the main thread's tier passed in.
const { c, base, cpu } = workerData as { c: SweepConfig; base: SharedArrayBuffer; cpu: CpuMode };
setDefaultCpuMode(cpu);
const volume = new Uint8Array(base);

parentPort!.on('message', (task: SweepTask) => {
  try {
    const point = comparePoint(c, volume, task);
    point.baseline.console = '';
    point.vamos.console = '';
    parentPort!.postMessage({ index: task.index, point });
  } catch (e) {
    parentPort!.postMessage({ index: task.index, error: e instanceof Error ? e.message : String(e) });
  }
});
