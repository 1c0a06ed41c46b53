/**
 * A sweep spread over worker threads (`--jobs N`) and over machines (`--shard I/N`). The
 * dataset is loaded once, on this thread, and shared read-only with the workers; each point is
 * a pure function of the configuration, the volume and its task, so which thread or machine
 * runs it changes no number: a sharded or parallel sweep gives the serial one's JSON bit for bit.
 */
import { Worker } from 'node:worker_threads';
import { loadVolume, comparePoint, sweepTasks, type ComparedPoint, type SweepConfig, type SweepTask } from './sweep.js';
import { defaultCpuMode } from '../../vmm/cpu/jit.js';

export interface Shard {
  /** 1-based, as array-job indices usually are. */
  index: number;
  count: number;
}

/** Parses `I/N` (1 <= I <= N); undefined if malformed. */
export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) return undefined;
  const index = Number(m[1]), count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count && count <= 10_000 ? { index, count } : undefined;
}

/**
 * Consecutive tasks of one point (the same profile, IOMMU mode and pool: its transports, side by
 * side) as one group: whoever runs them one after another runs the point's baseline once.
 */
export function pointGroups(tasks: readonly SweepTask[]): SweepTask[][] {
  const groups: SweepTask[][] = [];
  for (const task of tasks) {
    const group = groups[groups.length - 1];
    const prev = group?.[group.length - 1];
    if (prev !== undefined && prev.profile === task.profile && prev.iommu === task.iommu && prev.poolPages === task.poolPages) group!.push(task);
    else groups.push([task]);
  }
  return groups;
}

/**
 * This shard's share: every count-th point (with all its transports), so each shard gets all
 * profiles and pool sizes and runs each of its points' baselines once.
 */
export function shardTasks(tasks: SweepTask[], shard: Shard | undefined): SweepTask[] {
  return shard === undefined ? tasks : pointGroups(tasks).filter((_, i) => i % shard.count === shard.index - 1).flat();
}

export interface IndexedPoint {
  index: number;
  point: ComparedPoint;
}

export interface ProgressLine {
  done: number;
  total: number;
  label: string;
  elapsedS: number;
  /** Estimated seconds left (from the mean time per point so far); undefined before the first point. */
  leftS: number | undefined;
}

export interface ParallelOptions {
  jobs: number;
  onProgress?: (p: ProgressLine) => void;
  /** The wall clock for progress only (never inside a run); tests pass a fake one. */
  clock?: () => number;
}

/** The worker module, compiled or (under the test runner's TypeScript loader) from source. */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** Runs `tasks` (of a sweep `c`) on `opts.jobs` threads; the results in task order. */
export async function runTasks(c: SweepConfig, base: Uint8Array, tasks: SweepTask[], opts: ParallelOptions, startedAt?: number): Promise<IndexedPoint[]> {
  const clock = opts.clock ?? (() => performance.now() / 1000);
  const t0 = startedAt ?? clock();
  const tPoints = clock();
  let done = 0;
  const finished = (p: ComparedPoint): void => {
    done++;
    const now = clock();
    const per = (now - tPoints) / done;
    opts.onProgress?.({ done, total: tasks.length, label: `${p.profile} iommu=${p.iommu} pool=${p.poolPages} ${p.transport}`, elapsedS: now - t0, leftS: per * (tasks.length - done) });
  };
  const out: IndexedPoint[] = [];
  const jobs = Math.max(1, Math.min(opts.jobs, tasks.length));
  if (jobs === 1) {
    for (const task of tasks) {
      const point = comparePoint(c, base, task);
      out.push({ index: task.index, point });
      finished(point);
      await new Promise<void>((resolve) => setImmediate(resolve)); // let progress lines flush
    }
    return out;
  }
  // Each worker gets its own copy of the volume once, then pulls tasks until none are left.
  const shared = new SharedArrayBuffer(base.length);
  new Uint8Array(shared).set(base);
  // The tasks of one point (its transports, side by side) go to one worker, one after another,
  // so that the worker's comparePoint reuses the point's baseline run instead of repeating it.
  const queue = pointGroups(tasks);
  await Promise.all(Array.from({ length: jobs }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { c, base: shared, cpu: defaultCpuMode() } });
    let mine: SweepTask[] = [];
    const next = (): void => {
      if (mine.length === 0) mine = queue.shift() ?? [];
      const task = mine.shift();
      if (task === undefined) { void w.terminate().then(() => resolve()); return; }
      w.postMessage(task);
    };
    w.on('message', (m: { index: number; point?: ComparedPoint; error?: string }) => {
      if (m.error !== undefined || m.point === undefined) { void w.terminate(); reject(new Error(m.error ?? 'worker sent no point')); return; }
      out.push({ index: m.index, point: m.point });
      finished(m.point);
      next();
    });
    w.on('error', reject);
    next();
  })));
  return out.sort((a, b) => a.index - b.index);
}

/** The sweep (or one shard of it) on `jobs` threads; the load counts as the first progress line. */
export async function runSweepParallel(c: SweepConfig, opts: ParallelOptions & {
  shard?: Shard; traceDir?: string; onLoaded?: (seconds: number) => void; onLoading?: (p: ProgressLine) => void;
}): Promise<IndexedPoint[]> {
  const clock = opts.clock ?? (() => performance.now() / 1000);
  const t0 = clock();
  const all = sweepTasks(c, opts.traceDir);
  const tasks = shardTasks(all, opts.shard);
  let next = 0;
  const base = loadVolume(c, all[0]!.profile, (loaded) => {
    if (loaded < next && loaded < c.records) return;
    next = loaded + Math.max(1, Math.floor(c.records / 20)); // about twenty lines over a load
    const s = clock() - t0;
    opts.onLoading?.({ done: loaded, total: c.records, label: 'records loaded', elapsedS: s, leftS: (s / loaded) * (c.records - loaded) });
  });
  opts.onLoaded?.(clock() - t0);
  return runTasks(c, base, tasks, opts, t0);
}

/** `[ 3/45] modern iommu=off pool=16 (12 s, about 3 min left)`: wall time, for the user only. */
export function progressLine(p: ProgressLine): string {
  const t = (s: number): string => (s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`);
  const left = p.leftS === undefined || p.done === p.total ? '' : `, about ${t(p.leftS)} left`;
  return `[${String(p.done).padStart(String(p.total).length)}/${p.total}] ${p.label} (${t(p.elapsedS)}${left})\n`;
}
