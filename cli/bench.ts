/**
 * `vamos bench paper`: the VAMOS experiment (docs/paper.md). Runs the sweep of
 * middleware/experiment/sweep.ts, shows progress on stderr, prints the comparison table and the
 * exit-by-exit diff of the most I/O-bound point (the `vamos report --diff` table), and writes
 * JSON, SVG charts and HTML pages to the output folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FULL_SWEEP, QUICK_SWEEP, sweepTasks, tracePaths, transportsOf, volumeSectorsFor, type SweepConfig } from '../middleware/experiment/sweep.js';
import { TRANSPORTS, type Transport } from '../middleware/build.js';
import { parseShard, progressLine, runSweepParallel } from '../middleware/experiment/parallel.js';
import { mergeShards, shardFileName, shardJson } from '../middleware/experiment/shard-file.js';
import { sensitivityMain, tablesMain } from './bench-extra.js';
import { benchWebMain } from './bench-web.js';
import { sweepCharts, sweepHtml, sweepJson, sweepTable } from '../middleware/experiment/report.js';
import type { ComparedPoint } from '../middleware/experiment/sweep.js';
import { loadRun, type Run } from '../vmm/report/load.js';
import { diffRuns } from '../vmm/report/diff.js';
import { renderDiffHtml } from '../vmm/report/html.js';
import { renderDiffText } from '../vmm/report/text.js';
import { loadProfileFlag } from './boot.js';
import { parseArgs, usage, UsageError, type Flags, CPU_FLAG, applyCpuFlag } from './args.js';
import type { Io } from './io.js';

const FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  quick: { kind: 'boolean', help: 'a short version: two pool sizes, iommu=strict, nehalem-2011 (the npm start demo)' },
  out: { kind: 'string', value: 'DIR', help: 'where to write paper.json, the charts and the reports (default out/paper)' },
  profile: { kind: 'list', value: 'NAME', help: 'cost profile(s) (default: nehalem-2011, nehalem-2011-pagecache and modern)' },
  iommu: { kind: 'list', value: 'MODE', help: 'IOMMU mode(s): off, strict, deferred (default: all three)' },
  transport: { kind: 'list', value: 'T', help: 'how VAMOS reaches the engine: vmcall, virtio (the module channel), comma-separated (default: both)' },
  pools: { kind: 'string', value: 'N,N,...', help: 'buffer-pool sizes in 4 KiB pages, the sweep of I/O intensity' },
  records: { kind: 'count', value: 'N', help: 'records in the database' },
  ops: { kind: 'count', value: 'N', help: 'measured operations per run' },
  concurrency: { kind: 'count', value: 'N', help: 'clients' },
  mix: { kind: 'string', value: 'A|B|C', help: 'YCSB-like mix: A 50/50, B 95/5 read/update, C read-only' },
  distribution: { kind: 'string', value: 'zipfian|uniform', help: 'key popularity' },
  seed: { kind: 'count', value: 'N', help: 'workload seed' },
  ...CPU_FLAG,
  load: { kind: 'string', value: 'guest|host', help: 'load the records through the guest (default below 100,000 records) or with the engine on the host' },
  jobs: { kind: 'count', value: 'N', help: 'run points on N worker threads (default 1); the numbers do not change' },
  shard: { kind: 'string', value: 'I/N', help: 'run the I-th of N shares of the points into DIR/shard-I-of-N.json (join them with vamos bench merge)' },
} satisfies Flags;

export function benchUsage(): string {
  return usage('vamos bench paper [options]', 'Runs the VAMOS experiment: the database with its storage engine in the guest (baseline) and at\nthe hypervisor level (VAMOS, over vmcall and the virtio module channel), over a sweep of I/O\nintensity, IOMMU modes and cost profiles.', FLAGS) +
    '\nAlso: vamos bench merge OUT SHARD.json...    join shard files into OUT/paper.json and the report\n' +
    '      vamos bench tables [--from FILE] [--write|--check DOC]   docs/paper.md\'s tables from a paper.json\n' +
    '      vamos bench sensitivity [options]        each cost figure varied, a tornado chart (--help)\n' +
    '      vamos bench web [options]                the web server\'s experiment, docs/web.md (--help)\n';
}

function configFrom(flags: ReturnType<typeof parseArgs<typeof FLAGS>>['flags']): SweepConfig {
  const c: SweepConfig = { ...(flags.quick ? QUICK_SWEEP : FULL_SWEEP) };
  if (flags.profile) {
    // A bad name fails here, before any run: a name that is neither built in nor a file is a usage error, as for boot.
    for (const p of flags.profile) loadProfileFlag(p);
    c.profiles = flags.profile;
  }
  if (flags.iommu) {
    for (const m of flags.iommu) if (m !== 'off' && m !== 'strict' && m !== 'deferred') throw new UsageError(`--iommu ${m}: expected off, strict or deferred`);
    c.iommuModes = flags.iommu as SweepConfig['iommuModes'];
  }
  if (flags.transport) {
    const list = flags.transport.flatMap((x) => x.split(','));
    for (const x of list) if (!TRANSPORTS.includes(x as Transport)) throw new UsageError(`--transport ${x}: expected vmcall or virtio`);
    c.transports = [...new Set(list)] as Transport[];
  }
  if (flags.pools !== undefined) {
    const pools = flags.pools.split(',').map(Number);
    if (pools.some((n) => !Number.isInteger(n) || n < 16 || n > 65536)) throw new UsageError(`--pools ${flags.pools}: expected page counts from 16 to 65536, comma-separated`);
    c.pools = pools;
  }
  if (flags.records !== undefined) {
    c.records = flags.records;
    c.volumeSectors = volumeSectorsFor(c.records, c.volumeSectors);
  }
  if (flags.ops !== undefined) c.operations = flags.ops;
  if (flags.load !== undefined && flags.load !== 'guest' && flags.load !== 'host') throw new UsageError(`--load ${flags.load}: expected guest or host`);
  // Through the guest, loading takes hours of host time from about a million records.
  const load = flags.load ?? (c.records >= 100_000 ? 'host' : 'guest');
  if (load === 'host') c.load = 'host';
  if (flags.concurrency !== undefined) c.concurrency = flags.concurrency;
  if (flags.seed !== undefined) c.seed = flags.seed;
  if (flags.mix !== undefined) {
    if (flags.mix !== 'A' && flags.mix !== 'B' && flags.mix !== 'C') throw new UsageError(`--mix ${flags.mix}: expected A, B or C`);
    c.mix = flags.mix;
  }
  if (flags.distribution !== undefined) {
    if (flags.distribution !== 'zipfian' && flags.distribution !== 'uniform') throw new UsageError(`--distribution ${flags.distribution}: expected zipfian or uniform`);
    c.distribution = flags.distribution;
  }
  return c;
}

/** The run phase only: boot and set-up exits would blur the per-operation rates. */
function runPhase(run: Run, window: [number, number]): Run {
  return { ...run, exits: run.exits.filter((e) => e.at >= window[0] && e.at < window[1]) };
}

export function benchMain(argv: string[], io: Io): number | Promise<number> {
  const [what, ...rest] = argv;
  if (what === '--help' || what === '-h') { io.stdout(benchUsage()); return 0; }
  if (what === 'merge') return mergeMain(rest, io);
  if (what === 'tables') return tablesMain(rest, io);
  if (what === 'sensitivity') return sensitivityMain(rest, io);
  if (what === 'web') return benchWebMain(rest, io);
  if (what !== 'paper') throw new UsageError(what === undefined ? 'which benchmark? (paper, sensitivity, merge, tables)' : `unknown benchmark '${what}' (known: paper, sensitivity, merge, tables)`);
  const { flags, positional } = parseArgs(rest, FLAGS);
  applyCpuFlag(flags.cpu);
  if (flags.help) { io.stdout(benchUsage()); return 0; }
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const cfg = configFrom(flags);
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  if (flags.shard !== undefined && shard === undefined) throw new UsageError(`--shard ${flags.shard}: expected I/N with 1 <= I <= N`);
  const jobs = flags.jobs ?? 1;
  if (jobs < 1 || jobs > 256) throw new UsageError(`--jobs ${jobs}: expected 1 to 256`);
  const out = flags.out ?? join('out', 'paper');
  mkdirSync(out, { recursive: true });
  io.stderr(`loading ${cfg.records} records...\n`);
  return runSweepParallel(cfg, {
    jobs, shard, traceDir: shard === undefined ? out : undefined,
    onLoading: (p) => io.stderr(progressLine(p)),
    onLoaded: (s) => io.stderr(`loaded ${cfg.records} records (${s.toFixed(0)} s)\n`),
    onProgress: (p) => io.stderr(progressLine(p)),
  }).then((indexed) => {
    if (shard === undefined) return report(cfg, indexed.map((x) => x.point), out, io, true);
    const file = join(out, shardFileName(shard));
    writeFileSync(file, shardJson(cfg, shard, sweepTasks(cfg).length, indexed));
    io.stdout(sweepTable(indexed.map((x) => x.point)) + '\n');
    io.stdout(`\nwrote ${file} (shard ${shard.index} of ${shard.count}: ${indexed.length} points); join the shards with vamos bench merge\n`);
    return 0;
  });
}

/** `vamos bench merge OUT A.json B.json ...`: the shards' points as one sweep, reported as bench paper does. */
function mergeMain(argv: string[], io: Io): number {
  if (argv[0] === '--help' || argv[0] === '-h') { io.stdout(benchUsage()); return 0; }
  const [out, ...files] = argv;
  if (out === undefined || files.length === 0) throw new UsageError('merge: expected OUT and one or more shard files (vamos bench merge OUT A.json B.json ...)');
  const { config, points } = mergeShards(files);
  mkdirSync(out, { recursive: true });
  return report(config, points, out, io, false);
}

function report(cfg: SweepConfig, points: ComparedPoint[], out: string, io: Io, traced: boolean): number {
  io.stdout(`VAMOS: mix ${cfg.mix}, ${cfg.distribution} keys, ${cfg.records} records, ${cfg.operations} operations, ${cfg.concurrency} clients (virtual time)\n\n`);
  io.stdout(sweepTable(points) + '\n');
  writeFileSync(join(out, 'paper.json'), JSON.stringify(sweepJson(cfg, points), null, 2) + '\n');
  for (const c of sweepCharts(points, true)) {
    writeFileSync(join(out, `throughput-${c.profile}-${c.iommu}.svg`), c.throughput);
    writeFileSync(join(out, `exits-${c.profile}-${c.iommu}.svg`), c.exits);
  }
  if (traced) {
    // The exit-by-exit comparison of the most I/O-bound traced point, as `vamos report --diff` shows it.
    const point = points.find((p) => p.profile === cfg.profiles[0] && p.iommu === cfg.iommuModes[0] && p.poolPages === Math.min(...cfg.pools) && p.transport === transportsOf(cfg)[0])!;
    const paths = tracePaths(out);
    const diff = diffRuns(runPhase(loadRun(paths.guest), point.baseline.runWindow), runPhase(loadRun(paths.vamos), point.vamos.runWindow), {},
      [cfg.operations, cfg.operations]);
    io.stdout(`\nThe most I/O-bound point (pool ${point.poolPages}, ${point.profile}, iommu=${point.iommu}), run phase, baseline against VAMOS over ${point.transport}:\n`);
    io.stdout(renderDiffText(diff));
    writeFileSync(join(out, 'diff.html'), renderDiffHtml(diff));
  }
  writeFileSync(join(out, 'paper.html'), sweepHtml(cfg, points, traced ? { diffHref: 'diff.html' } : {}));
  io.stdout(`\nwrote ${join(out, 'paper.json')}, ${join(out, 'paper.html')} (charts)${traced ? `, ${join(out, 'diff.html')}, the SVG charts and the traces (vamos report ${tracePaths(out).guest})` : ' and the SVG charts (a merged sweep has no traces)'}\n`);
  const differing = points.filter((p) => !p.sameReplies).length;
  if (differing > 0) {
    io.stdout(`note: ${differing} point(s) got different replies in the two placements: with ${cfg.concurrency} clients the order in which concurrent operations on one key complete depends on timing (docs/paper.md); with --concurrency 1 they must agree.\n`);
  }
  return 0;
}
