/**
 * `npm run bench`: runs the benchmarks and writes JSON under bench/results/. Wall-clock
 * figures about the emulator itself; virtual-time results belong to `vamos bench paper`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeResult } from './results.js';
import { cpuBench } from './cpu.js';
import { traceBench } from './trace.js';
import { devicesBench } from './devices.js';
import { identityIommuDma } from './iommu-dma.js';
import { guestBench } from './guest.js';
import { paperBench } from './paper.js';
import { redisBench } from './redis.js';
import { webBench } from './web.js';

const cpu = cpuBench();
const file = writeResult('cpu', cpu);
console.log(`guest MIPS, CPU-bound loop, paging off: jit ${cpu.guestMips.toFixed(0)} (target >= 1000), interpreter ${cpu.guestMipsInterp.toFixed(0)}`);
console.log(`guest MIPS, ring-3 cpubench under the kernel: jit ${cpu.guestMipsPaged.toFixed(0)} (target >= 600), interpreter ${cpu.guestMipsPagedInterp.toFixed(0)}`);
console.log(`code cache (cpubench): ${cpu.codeCache.cpubench.regions} regions, ${(cpu.codeCache.cpubench.codeBytes / 1024).toFixed(0)} KiB Wasm, ~${(cpu.codeCache.cpubench.cacheBytes / 1048576).toFixed(1)} MiB; ${cpu.codeCache.compileMsPerRegion.toFixed(2)} ms per region`);
console.log(`host ns per exit round trip (out to null port): ${cpu.nsPerExit.toFixed(1)}   target <= 200`);
console.log(`wrote ${file}`);

const trace = traceBench();
const traceFile = writeResult('trace', trace);
console.log(`trace overhead (host time traced / untraced, out loop): ${trace.traceOverheadRatio.toFixed(2)}   target < 1.3`);
console.log(`trace bytes per exit: ${trace.bytesPerExit.toFixed(1)}`);
console.log(`wrote ${traceFile}`);

const direct = devicesBench();
const behindIommu = devicesBench({ dma: identityIommuDma });
const iommuCost = (a: number, b: number): number => a / b;
const devicesFile = writeResult('devices', {
  blkRandReadIops: direct.blkRandReadIops, blkRandWriteIops: direct.blkRandWriteIops, netPps: direct.netPps,
  iommu: {
    blkRandReadIops: behindIommu.blkRandReadIops, blkRandWriteIops: behindIommu.blkRandWriteIops, netPps: behindIommu.netPps,
    /** Throughput without the IOMMU divided by throughput behind it (identity map, warm IOTLB). */
    slowdown: {
      blkRandRead: iommuCost(direct.blkRandReadIops, behindIommu.blkRandReadIops),
      blkRandWrite: iommuCost(direct.blkRandWriteIops, behindIommu.blkRandWriteIops),
      net: iommuCost(direct.netPps, behindIommu.netPps),
    },
  },
  config: direct.config,
});
const k = (x: number): string => `${(x / 1000).toFixed(0)}k`;
console.log(`virtio-blk 4 KiB random read IOPS: ${k(direct.blkRandReadIops)} (behind the IOMMU ${k(behindIommu.blkRandReadIops)})   target >= 200k`);
console.log(`virtio-blk 4 KiB random write IOPS: ${k(direct.blkRandWriteIops)} (behind the IOMMU ${k(behindIommu.blkRandWriteIops)})   target >= 200k`);
console.log(`virtio-net packets per second: ${k(direct.netPps)} (behind the IOMMU ${k(behindIommu.netPps)})   target >= 500k`);
console.log(`wrote ${devicesFile}`);

// In a process of its own (bench/cc-main.ts says why).
const ccRun = spawnSync(process.execPath, [fileURLToPath(new URL('./cc-main.js', import.meta.url))], { stdio: 'inherit' });
if (ccRun.status !== 0) throw new Error(`bench/cc-main.js failed (exit ${ccRun.status ?? ccRun.signal})`);

const guest = guestBench();
const guestFile = writeResult('guest', guest);
console.log(`default disk, VM creation to init's first line: ${guest.bootToInitMs.toFixed(0)} ms (median of ${guest.bootToInitRunsMs.length})   target < 100`);
for (const mode of ['off', 'strict', 'deferred'] as const) {
  console.log(`  iommu=${mode.padEnd(8)} exits per 4 KiB read ${guest.exitsPer4KiBRead[mode].total.toFixed(2)}, per UDP round trip ${guest.exitsPerUdpRoundTrip[mode].total.toFixed(2)}`);
}
console.log(`wrote ${guestFile}`);

const paper = await paperBench((line) => process.stderr.write(`paper ${line}\n`));
const paperFile = writeResult('paper', paper.json);
console.log(paper.table);
console.log(`wrote ${paperFile}`);

const redis = await redisBench((line) => process.stderr.write(`redis ${line}\n`));
const redisFile = writeResult('redis', redis);
for (const [target, rows] of Object.entries(redis.targets)) {
  if (!Array.isArray(rows)) { console.log(`redis-benchmark ${target}: skipped (${rows.skipped})`); continue; }
  console.log(`redis-benchmark ${target.padEnd(7)} ${rows.map((r) => `${r.test} ${Math.round(r.rps)} req/s (p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms)`).join(', ')}`);
}
console.log(`wrote ${redisFile}`);

const web = await webBench((line) => process.stderr.write(`web ${line}\n`));
const webFile = writeResult('web', web);
const lg = web.loadgen as { rps?: Record<string, { bytes: number; rps: number; p99Ms: number }[]>; skipped?: string };
if (lg.rps) for (const [target, rows] of Object.entries(lg.rps)) console.log(`ab ${target.padEnd(7)} ${rows.map((r) => `${r.bytes} B ${Math.round(r.rps)} req/s (p99 ${r.p99Ms} ms)`).join(', ')}`);
else console.log(`ab: skipped (${lg.skipped})`);
console.log(`wrote ${webFile}`);
