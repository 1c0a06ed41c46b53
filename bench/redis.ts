/**
 * bench/results/redis.json (issue 8): redis-benchmark -t set,get against the guest database in
 * both placements (`vamos serve`, wall-clock mode), beside a native redis-server on the same
 * machine as the physical limit, all in one run. Requests per second and latency percentiles
 * are redis-benchmark's own (--csv). Run alone with `node dist/bench/redis.js`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { projectFile } from '../vmm/paths.js';

const REDIS_BENCHMARK = '/usr/bin/redis-benchmark';
const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisRow {
  test: string;
  rps: number;
  avgMs: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RedisBenchResult {
  config: { requests: number; clients: number; keyspace: number; valueBytes: number; pipeline: number; nativeRequests: number };
  /** Per target: redis-benchmark's rows (SET, GET). */
  targets: Record<string, RedisRow[] | { skipped: string }>;
  /** Native requests per second over the guest's, per placement and test (how far the emulated guest is from the metal). */
  nativeOverGuest: Record<string, Record<string, number>>;
  /** The VAMOS placement's requests per second over the baseline's, per test. */
  vamosOverGuest: Record<string, number>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function parseCsv(csv: string): RedisRow[] {
  const rows: RedisRow[] = [];
  for (const line of csv.trim().split('\n').slice(1)) {
    const f = line.split(',').map((x) => x.replace(/"/g, ''));
    if (f.length < 8) continue;
    const n = f.slice(1).map(Number);
    rows.push({ test: f[0]!, rps: n[0]!, avgMs: n[1]!, minMs: n[2]!, p50Ms: n[3]!, p95Ms: n[4]!, p99Ms: n[5]!, maxMs: n[6]! });
  }
  return rows;
}

function benchmark(port: number, requests: number, c: RedisBenchResult['config']): Promise<RedisRow[]> {
  const args = ['-p', String(port), '-t', 'set,get', '-n', String(requests), '-c', String(c.clients), '-r', String(c.keyspace),
    '-d', String(c.valueBytes), '-P', String(c.pipeline), '--csv'];
  return new Promise((resolve, reject) => {
    execFile(REDIS_BENCHMARK, args, { timeout: 600_000 }, (e, stdout, stderr) => {
      if (e) reject(new Error(`redis-benchmark: ${e.message.split('\n')[0]} ${stderr}`));
      else resolve(parseCsv(stdout));
    });
  });
}

/** Starts `vamos serve` from dist/ and resolves with its port once it is ready. */
function serve(placement: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [projectFile('dist', 'cli', 'vamos.js'), 'serve', '--port', '0', '--placement', placement],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const early = (code: number | null): void => reject(new Error(`vamos serve exited with ${code}: ${err}`));
    child.once('exit', early);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /ready: 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        child.off('exit', early);
        resolve({ port: Number(m[1]), child });
      }
    });
  });
}

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

export async function redisBench(log: (line: string) => void = () => {}): Promise<RedisBenchResult> {
  const config = { requests: 20_000, clients: 20, keyspace: 10_000, valueBytes: 3, pipeline: 1, nativeRequests: 100_000 };
  const targets: RedisBenchResult['targets'] = {};
  if (!existsSync(REDIS_BENCHMARK)) {
    const skipped = 'redis-benchmark is not installed (Debian: redis-tools)';
    return { config, targets: { native: { skipped }, guest: { skipped }, vamos: { skipped } }, nativeOverGuest: {}, vamosOverGuest: {} };
  }
  if (existsSync(REDIS_SERVER)) {
    const port = await freePort();
    const server = spawn(REDIS_SERVER, ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      targets.native = await benchmark(port, config.nativeRequests, config);
      log(`native redis-server: ${targets.native.map((r) => `${r.test} ${Math.round(r.rps)}/s`).join(', ')}`);
    } finally {
      server.kill('SIGKILL');
    }
  } else {
    targets.native = { skipped: 'redis-server is not installed' };
  }
  for (const placement of ['guest', 'vamos']) {
    const s = await serve(placement);
    try {
      targets[placement] = await benchmark(s.port, config.requests, config);
      log(`vamos serve --placement ${placement}: ${(targets[placement] as RedisRow[]).map((r) => `${r.test} ${Math.round(r.rps)}/s, p99 ${r.p99Ms} ms`).join('; ')}`);
    } finally {
      await stopped(s.child);
    }
  }
  const nativeOverGuest: RedisBenchResult['nativeOverGuest'] = {};
  const native = targets.native;
  if (Array.isArray(native)) {
    for (const placement of ['guest', 'vamos']) {
      const rows = targets[placement];
      if (!Array.isArray(rows)) continue;
      nativeOverGuest[placement] = Object.fromEntries(rows.map((r) => [r.test, (native.find((n) => n.test === r.test)?.rps ?? NaN) / r.rps]));
    }
  }
  const vamosOverGuest: Record<string, number> = {};
  const [g, v] = [targets.guest, targets.vamos];
  if (Array.isArray(g) && Array.isArray(v)) for (const r of v) vamosOverGuest[r.test] = r.rps / (g.find((x) => x.test === r.test)?.rps ?? NaN);
  return { config, targets, nativeOverGuest, vamosOverGuest };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const r = await redisBench((l) => console.log(l));
  mkdirSync(projectFile('bench', 'results'), { recursive: true });
  const file = projectFile('bench', 'results', 'redis.json');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2) + '\n');
  console.log(`wrote ${file}`);
}
