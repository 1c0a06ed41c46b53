/**
 * bench/results/web.json (issue 18): the web experiment's sweep on virtual time (`vamos bench
 * web`'s points: improvement and exitReduction per point), and ApacheBench (`ab`, Debian's
 * apache2-utils) against `vamos serve --app http` in both placements (the hypervisor one over
 * vmcall and over the virtio module channel), beside a native node:http
 * static server for the same folder on the same machine as the physical limit, all in one run:
 * three rounds, each target in turn, per target the round with the median requests per second.
 * Run alone with `node dist/bench/web.js`.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServe } from '../testing/serve.js';
import { projectFile } from '../vmm/paths.js';
import { writeResult } from './results.js';
import { benchSite, filePath } from '../middleware/web/experiment/workload.js';
import { runWebSweep, WEB_SWEEP, webSweepJson, webSweepTable } from '../middleware/web/experiment/sweep.js';

const AB = '/usr/bin/ab';
const SERVE_READY_MS = 120_000;
const ROUNDS = 3;
const TARGETS = ['native', 'guest', 'vamos', 'vamos-virtio'] as const;
/** `vamos serve --app http` arguments per emulated target: the placement, and the transport of the hypervisor one. */
const SERVE_ARGS: Record<Exclude<(typeof TARGETS)[number], 'native'>, string[]> = {
  guest: ['--placement', 'guest'],
  vamos: ['--placement', 'vamos'],
  'vamos-virtio': ['--placement', 'vamos', '--transport', 'virtio'],
};

export interface AbRow { path: string; bytes: number; rps: number; meanMs: number; p50Ms: number; p99Ms: number; failed: number }

/** The URLs ab fetches: one small and one large file of the generated site. */
function pick(files: readonly Uint8Array[]): { path: string; bytes: number }[] {
  const small = files.findIndex((f) => f.length <= 4096 && f.length > 1024);
  const large = files.findIndex((f) => f.length > 60000);
  return [small, large].map((i) => ({ path: filePath(i), bytes: files[i]!.length }));
}

function ab(port: number, path: string, bytes: number, requests: number, clients: number): Promise<AbRow> {
  return new Promise((resolve, reject) => {
    execFile(AB, ['-q', '-k', '-n', String(requests), '-c', String(clients), `http://127.0.0.1:${port}${path}`], { timeout: 600_000 }, (e, out) => {
      if (e) { reject(new Error(`ab: ${e.message.split('\n')[0]}`)); return; }
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
      resolve({
        path, bytes, rps: num(/Requests per second:\s+([\d.]+)/), meanMs: num(/Time per request:\s+([\d.]+) \[ms\] \(mean\)/),
        p50Ms: num(/\n\s+50%\s+(\d+)/), p99Ms: num(/\n\s+99%\s+(\d+)/), failed: num(/Failed requests:\s+(\d+)/) + (num(/Non-2xx responses:\s+(\d+)/) || 0),
      });
    });
  });
}

/** A static file server on node:http, in its own process as the guest's server is. */
const NATIVE_SERVER = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
const root = process.argv[1];
http.createServer((req, res) => {
  fs.readFile(path.join(root, decodeURIComponent(req.url.split('?')[0])), (e, data) => {
    if (e) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Length': data.length, 'Content-Type': 'application/octet-stream' });
    res.end(data);
  });
}).listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

async function measure(target: (typeof TARGETS)[number], dir: string, urls: { path: string; bytes: number }[], requests: number, clients: number): Promise<AbRow[]> {
  if (target === 'native') {
    const port = await freePort();
    const server = spawn(process.execPath, ['-e', NATIVE_SERVER, dir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const rows = [];
      for (const u of urls) rows.push(await ab(port, u.path, u.bytes, requests * 10, clients));
      return rows;
    } finally {
      server.kill('SIGKILL');
    }
  }
  const s = await startServe([process.execPath, projectFile('dist', 'cli', 'vamos.js')], ['--app', 'http', '--site', dir, ...SERVE_ARGS[target]], SERVE_READY_MS);
  try {
    const rows = [];
    for (const u of urls) rows.push(await ab(s.port, u.path, u.bytes, requests, clients));
    return rows;
  } finally {
    await s.stop();
  }
}

/** `sweep: false` measures only the load generator's figures (no virtual-time sweep). */
export async function webBench(log: (line: string) => void = () => {}, opts: { sweep?: boolean } = {}): Promise<Record<string, unknown>> {
  const cfg = WEB_SWEEP;
  const sweep = opts.sweep === false ? { points: [], siteBytes: 0 } : runWebSweep(cfg, log);
  if (sweep.points.length > 0) log('\n' + webSweepTable(sweep.points));
  const loadgen: Record<string, unknown> = { tool: 'ab (ApacheBench, apache2-utils), keep-alive' };
  const config = { requests: 500, clients: 8, nativeRequestsFactor: 10, rounds: ROUNDS };
  if (!existsSync(AB)) return { ...webSweepJson(cfg, sweep.siteBytes, sweep.points), loadgen: { ...loadgen, skipped: 'ab is not installed (Debian: apache2-utils)' } };
  const entries = benchSite(cfg.files, cfg.seed);
  const dir = mkdtempSync(join(tmpdir(), 'vamos-web-bench-'));
  for (const e of entries) {
    if (e.kind === 'dir') mkdirSync(join(dir, e.path), { recursive: true });
    else writeFileSync(join(dir, e.path), e.data);
  }
  const urls = pick(entries.filter((e) => e.kind === 'file').map((e) => e.data));
  const rounds: Record<string, AbRow[][]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of TARGETS) {
      const rows = await measure(target, dir, urls, config.requests, config.clients);
      (rounds[target] ??= []).push(rows);
      log(`ab round ${round + 1}/${ROUNDS} ${target}: ${rows.map((r) => `${r.bytes} B ${Math.round(r.rps)}/s p99 ${r.p99Ms} ms`).join('; ')}`);
    }
  }
  const median = (rows: AbRow[][]): AbRow[] => urls.map((_, i) => rows.map((r) => r[i]!).sort((a, b) => a.rps - b.rps)[(rows.length - 1) >> 1]!);
  const rps = Object.fromEntries(TARGETS.map((t) => [t, median(rounds[t]!)]));
  const ratio = (a: string, b: string): number[] => urls.map((_, i) => rps[a]![i]!.rps / rps[b]![i]!.rps);
  return {
    ...webSweepJson(cfg, sweep.siteBytes, sweep.points),
    loadgen: { ...loadgen, config, urls, rps, rounds, vamosOverGuest: ratio('vamos', 'guest'), vamosVirtioOverGuest: ratio('vamos-virtio', 'guest'), nativeOverGuest: ratio('native', 'guest'), nativeOverVamos: ratio('native', 'vamos') },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  // --loadgen: only ab against the three servers, printed (bench/results/web.json is not written).
  if (process.argv.includes('--loadgen')) console.log(JSON.stringify((await webBench((l) => console.log(l), { sweep: false })).loadgen, null, 2));
  else console.log(`wrote ${writeResult('web', await webBench((l) => console.log(l)))}`);
}
