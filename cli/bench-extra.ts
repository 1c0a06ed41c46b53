/**
 * `vamos bench tables` (docs/paper.md's tables from a paper.json) and `vamos bench
 * sensitivity` (each cost figure of a profile varied at the I/O-bound point, a tornado chart).
 * Kept apart from cli/bench.ts, which runs the sweep itself.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfile } from '../vmm/profile.js';
import { progressLine, runTasks } from '../middleware/experiment/parallel.js';
import { sensitivityHtml, sensitivityTable, summarize, tornadoSvg, variants, type SensitivityResult } from '../middleware/experiment/sensitivity.js';
import { FULL_SWEEP, loadVolume, volumeSectorsFor, type SweepConfig, type SweepTask } from '../middleware/experiment/sweep.js';
import { renderTables, updateDoc, type PaperJson } from '../middleware/experiment/tables.js';
import { TRANSPORTS, type Transport } from '../middleware/build.js';
import { parseArgs, usage, UsageError, type Flags } from './args.js';
import type { Io } from './io.js';

const TABLE_FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  from: { kind: 'string', value: 'FILE', help: 'the paper.json to read (default bench/results/paper.json)' },
  write: { kind: 'string', value: 'DOC', help: 'replace the marked tables in DOC (docs/paper.md)' },
  check: { kind: 'string', value: 'DOC', help: 'exit 1 if the marked tables in DOC differ from FILE' },
} satisfies Flags;

function readJson(file: string): PaperJson {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new Error(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`); }
  try { return JSON.parse(text) as PaperJson; } catch (e) { throw new Error(`${file}: bad JSON: ${(e as Error).message.split('\n')[0]}`); }
}

export function tablesMain(argv: string[], io: Io): number {
  const { flags, positional } = parseArgs(argv, TABLE_FLAGS);
  if (flags.help) { io.stdout(usage('vamos bench tables [--from FILE] [--write DOC | --check DOC]', 'Generates docs/paper.md\'s tables from a paper.json.', TABLE_FLAGS)); return 0; }
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (flags.write !== undefined && flags.check !== undefined) throw new UsageError('--write and --check: give one');
  const from = flags.from ?? join('bench', 'results', 'paper.json');
  const json = readJson(from);
  const doc = flags.write ?? flags.check;
  if (doc === undefined) {
    io.stdout(Object.values(renderTables(json)).join('\n\n') + '\n');
    return 0;
  }
  const text = readFileSync(doc, 'utf8');
  const updated = updateDoc(text, json);
  if (flags.write !== undefined) {
    writeFileSync(doc, updated);
    io.stdout(`${doc}: tables ${updated === text ? 'already current' : 'updated'} from ${from}\n`);
    return 0;
  }
  if (updated !== text) { io.stderr(`vamos bench: ${doc}: its tables differ from ${from} (run vamos bench tables --write ${doc})\n`); return 1; }
  io.stdout(`${doc}: tables agree with ${from}\n`);
  return 0;
}

const SENS_FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  out: { kind: 'string', value: 'DIR', help: 'where to write sensitivity.json, the tornado charts and sensitivity.html (default out/sensitivity)' },
  profile: { kind: 'list', value: 'NAME', help: 'cost profile(s) (default: nehalem-2011, nehalem-2011-pagecache and modern)' },
  iommu: { kind: 'string', value: 'MODE', help: 'IOMMU mode: off (default), strict or deferred' },
  pool: { kind: 'count', value: 'N', help: 'buffer pool, 4 KiB pages (default 16: the sweep\'s I/O-bound end)' },
  factors: { kind: 'string', value: 'F,F,...', help: 'factors applied to each figure (default 0.5,2)' },
  records: { kind: 'count', value: 'N', help: 'records in the database (default the sweep\'s)' },
  ops: { kind: 'count', value: 'N', help: 'measured operations per run (default the sweep\'s)' },
  jobs: { kind: 'count', value: 'N', help: 'worker threads (default 1)' },
  transport: { kind: 'list', value: 'T', help: 'how VAMOS reaches the engine: vmcall, virtio, comma-separated (default: both; one chart each)' },
} satisfies Flags;

export function sensitivityMain(argv: string[], io: Io): number | Promise<number> {
  const { flags, positional } = parseArgs(argv, SENS_FLAGS);
  if (flags.help) { io.stdout(usage('vamos bench sensitivity [options]', 'Reruns the I/O-bound point with each cost figure of the profile varied alone, and draws\nthe improvement of each variant as a tornado chart (docs/paper.md).', SENS_FLAGS)); return 0; }
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const iommu = flags.iommu ?? 'off';
  if (iommu !== 'off' && iommu !== 'strict' && iommu !== 'deferred') throw new UsageError(`--iommu ${iommu}: expected off, strict or deferred`);
  const factors = (flags.factors ?? '0.5,2').split(',').map(Number);
  if (factors.some((f) => !Number.isFinite(f) || f < 0 || f > 1000)) throw new UsageError(`--factors ${flags.factors}: expected numbers from 0 to 1000, comma-separated`);
  const pool = flags.pool ?? 16;
  if (pool < 16 || pool > 65536) throw new UsageError(`--pool ${pool}: expected 16 to 65536 pages`);
  const jobs = flags.jobs ?? 1;
  if (jobs < 1 || jobs > 256) throw new UsageError(`--jobs ${jobs}: expected 1 to 256`);
  const transports = [...new Set((flags.transport ?? ['vmcall,virtio']).flatMap((x) => x.split(',')))];
  for (const x of transports) if (!TRANSPORTS.includes(x as Transport)) throw new UsageError(`--transport ${x}: expected vmcall or virtio`);
  const profiles = (flags.profile ?? ['nehalem-2011', 'nehalem-2011-pagecache', 'modern']).map((n) => loadProfile(n));
  const records = flags.records ?? FULL_SWEEP.records;
  const c: SweepConfig = {
    ...FULL_SWEEP, records, operations: flags.ops ?? FULL_SWEEP.operations, pools: [pool], iommuModes: [iommu], profiles: profiles.map((p) => p.name),
    volumeSectors: volumeSectorsFor(records),
  };
  const out = flags.out ?? join('out', 'sensitivity');
  mkdirSync(out, { recursive: true });
  io.stderr(`loading ${c.records} records...\n`);
  const base = loadVolume(c, profiles[0]!);
  // A profile's transports side by side, so that each variant's baseline run serves both.
  const tasks: SweepTask[] = [];
  const plan = profiles.map((p) => {
    const vs = variants(p, factors);
    const first = tasks.length;
    for (const profile of [p, ...vs.map((v) => v.profile)]) {
      for (const transport of transports) tasks.push({ index: tasks.length, profile, iommu, poolPages: pool, transport: transport as Transport });
    }
    return { p, vs, first };
  });
  return runTasks(c, base, tasks, { jobs, onProgress: (l) => io.stderr(progressLine(l)) }).then((done) => {
    const results: SensitivityResult[] = plan.flatMap(({ p, vs, first }) => transports.map((_, k) => {
      const points = done.slice(first, first + (1 + vs.length) * transports.length).filter((_, i) => i % transports.length === k).map((x) => x.point);
      return summarize(p, points[0]!, vs, points.slice(1));
    }));
    for (const r of results) {
      io.stdout(sensitivityTable(r) + '\n\n');
      writeFileSync(join(out, `tornado-${r.profile}-${r.iommu}-${r.transport}.svg`), tornadoSvg(r));
    }
    writeFileSync(join(out, 'sensitivity.json'), JSON.stringify({ config: c, factors, results }, null, 2) + '\n');
    writeFileSync(join(out, 'sensitivity.html'), sensitivityHtml(results));
    io.stdout(`wrote ${join(out, 'sensitivity.json')}, ${join(out, 'sensitivity.html')} and the tornado charts\n`);
    return 0;
  });
}
