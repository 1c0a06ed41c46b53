/**
 * `vamos bench web`: the web experiment (docs/web.md, middleware/web/experiment/sweep.ts). Shows
 * progress on stderr, prints the comparison table and writes web.json, the SVG charts and
 * web.html (experiment/report.ts) to the output folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webChartFiles, webSweepHtml } from '../middleware/web/experiment/report.js';
import { TRANSPORTS, type Transport } from '../middleware/build.js';
import { runWebSweep, WEB_QUICK, WEB_SWEEP, webSweepJson, webSweepTable, type WebSweepConfig } from '../middleware/web/experiment/sweep.js';
import { parseArgs, usage, UsageError, type Flags, CPU_FLAG, applyCpuFlag } from './args.js';
import { loadProfileFlag } from './boot.js';
import type { Io } from './io.js';

const FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  quick: { kind: 'boolean', help: 'a short version: two cache sizes, iommu=strict, nehalem-2011' },
  out: { kind: 'string', value: 'DIR', help: 'where to write web.json, web.html and the SVG charts (default out/web)' },
  transport: { kind: 'list', value: 'NAME', help: 'the VAMOS placement\'s transport(s): vmcall, virtio (default: both)' },
  profile: { kind: 'list', value: 'NAME', help: 'cost profile(s) (default: nehalem-2011 and modern)' },
  iommu: { kind: 'list', value: 'MODE', help: 'IOMMU mode(s): off, strict, deferred (default: off and strict)' },
  cache: { kind: 'string', value: 'N,N,...', help: 'page-cache sizes in 4 KiB pages, the sweep (default 32,128,512,2048)' },
  files: { kind: 'count', value: 'N', help: 'files in the generated site (default 200, about 2.5 MB)' },
  requests: { kind: 'count', value: 'N', help: 'measured requests per run (default 600)' },
  clients: { kind: 'count', value: 'N', help: 'keep-alive clients (default 8)' },
  seed: { kind: 'count', value: 'N', help: 'site and workload seed (default 1)' },
  ...CPU_FLAG,
} satisfies Flags;

export function benchWebUsage(): string {
  return usage('vamos bench web [options]', 'Runs the web experiment: the web server with its file layer in the guest (baseline) and at the\nhypervisor level (VAMOS), over a sweep of page-cache size against the site, IOMMU modes and profiles.', FLAGS);
}

export function benchWebMain(argv: string[], io: Io): number {
  const { flags, positional } = parseArgs(argv, FLAGS);
  applyCpuFlag(flags.cpu);
  if (flags.help) { io.stdout(benchWebUsage()); return 0; }
  if (positional.length > 0) throw new UsageError(`bench web takes no positional arguments, got '${positional[0]}'`);
  const cfg: WebSweepConfig = { ...(flags.quick ? WEB_QUICK : WEB_SWEEP) };
  if (flags.profile) { for (const p of flags.profile) loadProfileFlag(p); cfg.profiles = flags.profile; }
  if (flags.iommu) {
    for (const m of flags.iommu) if (m !== 'off' && m !== 'strict' && m !== 'deferred') throw new UsageError(`--iommu ${m}: expected off, strict or deferred`);
    cfg.iommuModes = flags.iommu as WebSweepConfig['iommuModes'];
  }
  if (flags.transport) {
    const names = flags.transport.flatMap((s) => s.split(','));
    for (const m of names) if (!TRANSPORTS.includes(m as Transport)) throw new UsageError(`--transport ${m}: expected vmcall or virtio`);
    cfg.transports = [...new Set(names)] as Transport[];
  }
  if (flags.cache !== undefined) {
    const sizes = flags.cache.split(',').map((s) => Number(s));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 65536)) throw new UsageError(`--cache ${flags.cache}: expected page counts 1..65536, separated by commas`);
    cfg.cachePages = sizes;
  }
  if (flags.files !== undefined) { if (flags.files < 1 || flags.files > 5000) throw new UsageError(`--files ${flags.files}: expected 1..5000`); cfg.files = flags.files; }
  if (flags.requests !== undefined) { if (flags.requests < 1) throw new UsageError('--requests: at least 1'); cfg.requests = flags.requests; }
  if (flags.clients !== undefined) { if (flags.clients < 1 || flags.clients > 60) throw new UsageError(`--clients ${flags.clients}: expected 1..60`); cfg.clients = flags.clients; }
  if (flags.seed !== undefined) cfg.seed = flags.seed;
  const { points, siteBytes } = runWebSweep(cfg, (line) => io.stderr(`bench web: ${line}\n`));
  const out = flags.out ?? join('out', 'web');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'web.json');
  writeFileSync(file, JSON.stringify(webSweepJson(cfg, siteBytes, points), null, 2) + '\n');
  const charts = webChartFiles(points);
  for (const [name, svg] of charts) writeFileSync(join(out, name), svg);
  writeFileSync(join(out, 'web.html'), webSweepHtml(cfg, points));
  io.stdout(`site: ${cfg.files} files, ${(siteBytes / 1048576).toFixed(2)} MiB; ${cfg.clients} keep-alive clients, ${cfg.requests} measured requests per run\n\n` + webSweepTable(points) +
    `\nwrote ${file}, ${join(out, 'web.html')} (charts) and ${charts.size} SVG charts\n`);
  return 0;
}
