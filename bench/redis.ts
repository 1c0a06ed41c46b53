/**
 * bench/results/redis.json (issue 8): redis-benchmark -t set,get against the guest database in
 * both placements (`vamos serve`, wall-clock mode), beside a native redis-server on the same
 * machine as the physical limit, all in one run: three rounds, each target in turn, and per
 * target the round with the median requests per second. Requests per second and latency
 * percentiles are redis-benchmark's own (--csv). Run alone with `node dist/bench/redis.js`.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, startServe } from '../testing/serve.js';
import { projectFile } from '../vmm/paths.js';
import { writeResult } from './results.js';

const REDIS_BENCHMARK = '/usr/bin/redis-benchmark';
const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';
/** How long `vamos serve` may take to boot before the bench gives up. */
const SERVE_READY_MS = 120_000;

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
  config: { requests: number; clients: number; keyspace: number; valueBytes: number; pipeline: number; nativeRequests: number; rounds: number };
  /** Per target: redis-benchmark's rows (SET, GET) of the round with the median requests per second. */
  targets: Record<string, RedisRow[] | { skipped: string }>;
  /** Every round's rows, per target. */
  rounds: Record<string, RedisRow[][]>;
  /** Native requests per second over the guest's, per placement and test (how far the emulated guest is from the metal). */
  nativeOverGuest: Record<string, Record<string, number>>;
  /** The VAMOS placement's requests per second over the baseline's, per test. */
  vamosOverGuest: Record<string, number>;
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

/** Per round, the native server and then each placement, so that load on the host hits all alike. */
const ROUNDS = 3;
const TARGETS = ['native', 'guest', 'vamos'] as const;

/** Runs redis-benchmark against one target, started for this round and stopped after it. */
async function measure(target: (typeof TARGETS)[number], config: RedisBenchResult['config']): Promise<RedisRow[]> {
  if (target === 'native') {
    const port = await freePort();
    const server = spawn(REDIS_SERVER, ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      await until(() => ping(port), 10_000, 'redis-server did not answer PING');
      return await benchmark(port, config.nativeRequests, config);
    } finally {
      server.kill('SIGKILL');
    }
  }
  const s = await startServe([process.execPath, projectFile('dist', 'cli', 'vamos.js')], ['--placement', target], SERVE_READY_MS);
  try {
    return await benchmark(s.port, config.requests, config);
  } finally {
    await s.stop();
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => execFile(REDIS_CLI, ['-p', String(port), 'PING'], (e, out) => resolve(!e && out.trim() === 'PONG')));
}

async function until(ok: () => Promise<boolean>, ms: number, why: string): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(why);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The round whose requests per second are the median, per test (its latencies come with it). */
function medianRows(rounds: RedisRow[][]): RedisRow[] {
  const tests = rounds[0]?.map((r) => r.test) ?? [];
  return tests.map((test) => {
    const rows = rounds.map((rs) => rs.find((r) => r.test === test)!).sort((x, y) => x.rps - y.rps);
    return rows[(rows.length - 1) >> 1]!;
  });
}

export async function redisBench(log: (line: string) => void = () => {}): Promise<RedisBenchResult> {
  const config = { requests: 10_000, clients: 20, keyspace: 10_000, valueBytes: 3, pipeline: 1, nativeRequests: 100_000, rounds: ROUNDS };
  const targets: RedisBenchResult['targets'] = {};
  const rounds: RedisBenchResult['rounds'] = {};
  if (!existsSync(REDIS_BENCHMARK) || !existsSync(REDIS_CLI)) {
    const skipped = 'redis-benchmark or redis-cli is not installed (Debian: redis-tools)';
    return { config, targets: { native: { skipped }, guest: { skipped }, vamos: { skipped } }, rounds, nativeOverGuest: {}, vamosOverGuest: {} };
  }
  const runnable = TARGETS.filter((t) => t !== 'native' || existsSync(REDIS_SERVER));
  if (!runnable.includes('native')) targets.native = { skipped: 'redis-server is not installed (Debian: redis-server)' };
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of runnable) {
      const rows = await measure(target, config);
      (rounds[target] ??= []).push(rows);
      log(`round ${round + 1}/${ROUNDS} ${target}: ${rows.map((r) => `${r.test} ${Math.round(r.rps)}/s, p99 ${r.p99Ms} ms`).join('; ')}`);
    }
  }
  for (const target of runnable) targets[target] = medianRows(rounds[target]!);
  const rps = (target: string, test: string): number => {
    const rows = targets[target];
    return Array.isArray(rows) ? rows.find((r) => r.test === test)?.rps ?? NaN : NaN;
  };
  const tests = (Array.isArray(targets.guest) ? targets.guest : []).map((r) => r.test);
  const nativeOverGuest: RedisBenchResult['nativeOverGuest'] = {};
  if (Array.isArray(targets.native)) {
    for (const placement of ['guest', 'vamos']) nativeOverGuest[placement] = Object.fromEntries(tests.map((x) => [x, rps('native', x) / rps(placement, x)]));
  }
  const vamosOverGuest = Object.fromEntries(tests.map((x) => [x, rps('vamos', x) / rps('guest', x)]));
  return { config, targets, rounds, nativeOverGuest, vamosOverGuest };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`wrote ${writeResult('redis', await redisBench((l) => console.log(l)))}`);
}
