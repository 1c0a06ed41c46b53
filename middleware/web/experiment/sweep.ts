/**
 * The web experiment (docs/web.md; `vamos bench web`): both placements of the file layer over a
 * sweep of page-cache size against the site's working set, for each IOMMU mode and cost
 * profile, compared point by point as the database's sweep is (improvement, exitReduction).
 */
import type { ExitReason } from '../../../vmm/exits.js';
import { loadProfile } from '../../../vmm/profile.js';
import type { IommuMode } from '../../db-machine.js';
import type { Transport } from '../../build.js';
import { buildSite } from '../site.js';
import { runWebPoint, type WebPointResult } from './point.js';
import { benchSite } from './workload.js';

export interface WebSweepConfig {
  profiles: string[];
  iommuModes: IommuMode[];
  /** The VAMOS placement's transports, each compared with the one baseline run of its point. */
  transports: Transport[];
  /** Page-cache sizes, 4 KiB pages: the sweep. */
  cachePages: number[];
  files: number;
  clients: number;
  warmup: number;
  requests: number;
  seed: number;
}

export const WEB_SWEEP: WebSweepConfig = {
  profiles: ['nehalem-2011', 'modern'], iommuModes: ['off', 'strict'], transports: ['vmcall', 'virtio'], cachePages: [32, 128, 512, 2048],
  files: 200, clients: 8, warmup: 300, requests: 600, seed: 1,
};

export const WEB_QUICK: WebSweepConfig = { ...WEB_SWEEP, profiles: ['nehalem-2011'], iommuModes: ['strict'], cachePages: [32, 2048], warmup: 100, requests: 200 };

export interface WebComparedPoint {
  /** How the VAMOS side reached its file layer. */
  transport: Transport;
  profile: string;
  iommu: IommuMode;
  cachePages: number;
  /** Page-cache bytes over the site's bytes. */
  cacheOverSite: number;
  baseline: WebPointResult;
  vamos: WebPointResult;
  /** VAMOS requests per second over the baseline's, less 1 (0.05 = 5% more). */
  improvement: number;
  /** Baseline exits per request over VAMOS's. */
  exitReduction: number;
}

export function runWebSweep(cfg: WebSweepConfig, progress: (line: string) => void = () => {}): { points: WebComparedPoint[]; siteBytes: number } {
  const entries = benchSite(cfg.files, cfg.seed);
  const site = buildSite(entries);
  const files = entries.filter((e) => e.kind === 'file').map((e) => e.data);
  const siteBytes = files.reduce((s, f) => s + f.length, 0);
  const points: WebComparedPoint[] = [];
  const total = cfg.profiles.length * cfg.iommuModes.length * cfg.cachePages.length * cfg.transports.length;
  for (const profileName of cfg.profiles) {
    const profile = loadProfile(profileName);
    for (const iommu of cfg.iommuModes) {
      for (const cachePages of cfg.cachePages) {
        const run = (placement: 'guest' | 'vamos', transport: Transport): WebPointResult => runWebPoint({
          placement, transport, iommu, profile, cachePages, site, files,
          workload: { clients: cfg.clients, warmup: cfg.warmup, requests: cfg.requests, seed: cfg.seed },
        });
        const baseline = run('guest', 'vmcall');
        for (const transport of cfg.transports) {
          const vamos = run('vamos', transport);
          const p: WebComparedPoint = {
            transport, profile: profileName, iommu, cachePages, cacheOverSite: (cachePages * 4096) / siteBytes, baseline, vamos,
            improvement: vamos.workload.requestsPerSecond / baseline.workload.requestsPerSecond - 1,
            exitReduction: vamos.exitsPerRequest > 0 ? baseline.exitsPerRequest / vamos.exitsPerRequest : Infinity,
          };
          points.push(p);
          progress(`${points.length}/${total} ${profileName} iommu=${iommu} cache ${cachePages} ${transport}: ${pct(p.improvement)} requests/s, exits ${baseline.exitsPerRequest.toFixed(1)} -> ${vamos.exitsPerRequest.toFixed(1)} per request`);
        }
      }
    }
  }
  return { points, siteBytes };
}

const pct0 = (x: number): string => `${(x * 100).toFixed(0)}%`;
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function webSweepTable(points: readonly WebComparedPoint[]): string {
  const head = 'transport  profile        iommu   cache  cache/site  req/s guest  req/s vamos  improvement  exits/req guest  vamos  reduction  p99 ms guest  vamos  volume KiB/req  exit share guest  vamos';
  const rows = points.map((p) => [
    p.transport.padEnd(9), p.profile.padEnd(14), p.iommu.padEnd(7), String(p.cachePages).padStart(5), p.cacheOverSite.toFixed(2).padStart(10),
    p.baseline.workload.requestsPerSecond.toFixed(0).padStart(12), p.vamos.workload.requestsPerSecond.toFixed(0).padStart(12), pct(p.improvement).padStart(12),
    p.baseline.exitsPerRequest.toFixed(1).padStart(16), p.vamos.exitsPerRequest.toFixed(1).padStart(6), `${p.exitReduction.toFixed(2)}x`.padStart(10),
    (p.baseline.workload.latencyUs.p99 / 1000).toFixed(2).padStart(13), (p.vamos.workload.latencyUs.p99 / 1000).toFixed(2).padStart(6),
    (p.baseline.volumeBytesPerRequest / 1024).toFixed(1).padStart(15),
    pct0(p.baseline.exitCyclesPerRequest / p.baseline.cyclesPerRequest).padStart(17), pct0(p.vamos.exitCyclesPerRequest / p.vamos.cyclesPerRequest).padStart(6),
  ].join(' '));
  return [head, ...rows].join('\n') + '\n';
}

export function webSweepJson(cfg: WebSweepConfig, siteBytes: number, points: readonly WebComparedPoint[]): Record<string, unknown> {
  const side = (r: WebPointResult): Record<string, unknown> => ({
    requestsPerSecond: r.workload.requestsPerSecond, latencyUs: r.workload.latencyUs, exitsPerRequest: r.exitsPerRequest,
    exitsPerRequestByReason: r.exitsPerRequestByReason as Partial<Record<ExitReason, number>>, hypercallsPerRequest: r.hypercallsPerRequest, moduleCallsPerRequest: r.moduleCallsPerRequest,
    volumeBytesPerRequest: r.volumeBytesPerRequest, guestInstructionsPerRequest: r.guestInstructionsPerRequest,
    cyclesPerRequest: r.cyclesPerRequest, exitCyclesPerRequest: r.exitCyclesPerRequest, exitShare: r.exitCyclesPerRequest / r.cyclesPerRequest,
  });
  return {
    config: cfg, siteBytes,
    points: points.map((p) => ({
      transport: p.transport, profile: p.profile, iommu: p.iommu, cachePages: p.cachePages, cacheOverSite: p.cacheOverSite,
      improvement: p.improvement, exitReduction: p.exitReduction, baseline: side(p.baseline), vamos: side(p.vamos),
    })),
  };
}
