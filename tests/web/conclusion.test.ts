/**
 * What docs/web.md concludes, pinned on small deterministic points of the experiment (virtual
 * time, so the signs below are the model's, not the machine's): with the modern profile, the
 * hypervisor placement over vmcall gains where the page cache misses and strict IOMMU
 * invalidation makes each disk request dear, and loses where the site is cached (the extra
 * crossing and copies cost more than the exits they save); the virtio module channel, used
 * synchronously by a server with one request in hand, is slower than vmcall at both. A change
 * to a charging constant, the server or a transport that flips one of these fails here. The same
 * points render the charts `vamos bench web` writes beside web.json.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { runWebSweep, type WebComparedPoint, type WebSweepConfig } from '../../middleware/web/experiment/sweep.js';
import { webChartFiles, webSweepHtml } from '../../middleware/web/experiment/report.js';

// 40 files (390 KB): a 16-page cache holds 17% of the site, 1024 pages all of it.
const small: Omit<WebSweepConfig, 'iommuModes' | 'cachePages'> = {
  profiles: ['modern'], transports: ['vmcall', 'virtio'], files: 40, clients: 4, warmup: 30, requests: 50, seed: 1,
};
const cold = runWebSweep({ ...small, iommuModes: ['strict'], cachePages: [16, 1024] }).points;
const warm = runWebSweep({ ...small, iommuModes: ['off'], cachePages: [1024] }).points;
const at = (points: WebComparedPoint[], cachePages: number, transport: string): WebComparedPoint =>
  points.find((p) => p.cachePages === cachePages && p.transport === transport)!;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

t.test('the hypervisor placement gains with a cold cache behind a strict IOMMU', async (t) => {
  const p = at(cold, 16, 'vmcall');
  t.ok(p.baseline.volumeBytesPerRequest > 1024, `the point is I/O-bound: ${p.baseline.volumeBytesPerRequest.toFixed(0)} volume bytes per request`);
  t.ok(p.improvement > 0.03, `VAMOS-vmcall serves more requests per second: ${pct(p.improvement)}`);
  t.ok(p.exitReduction > 1.3, `with fewer exits per request: ${p.exitReduction.toFixed(2)}x`);
});

t.test('and loses once the site is cached (modern profile, no IOMMU)', async (t) => {
  const p = at(warm, 1024, 'vmcall');
  t.ok(p.baseline.volumeBytesPerRequest < 1024, `cached: ${p.baseline.volumeBytesPerRequest.toFixed(0)} volume bytes per request`);
  t.ok(p.improvement < -0.03, `VAMOS-vmcall is slower: ${pct(p.improvement)}`);
  t.ok(p.exitReduction < 1.1, `there are no exits left to save: ${p.exitReduction.toFixed(2)}x`);
});

t.test('the synchronous virtio channel costs more than a vmcall', async (t) => {
  for (const [points, cache] of [[cold, 16], [cold, 1024], [warm, 1024]] as const) {
    const v = at(points, cache, 'virtio'), h = at(points, cache, 'vmcall');
    t.ok(v.improvement < h.improvement, `iommu=${v.iommu} cache ${cache}: virtio ${pct(v.improvement)} < vmcall ${pct(h.improvement)}`);
    t.ok(v.vamos.exitsPerRequest > h.vamos.exitsPerRequest, `its notification and interrupt are exits a vmcall does not add (${v.vamos.exitsPerRequest.toFixed(1)} > ${h.vamos.exitsPerRequest.toFixed(1)})`);
    t.equal(v.vamos.exitsPerRequestByReason.vmcall, undefined, 'and it makes no hypercalls');
    // The same stub makes the same operations; the measured window's edges (requests in flight) differ a little.
    t.ok(Math.abs(v.vamos.moduleCallsPerRequest - h.vamos.moduleCallsPerRequest) < 0.05, `about the same file operations per request over either transport (${v.vamos.moduleCallsPerRequest.toFixed(2)}, ${h.vamos.moduleCallsPerRequest.toFixed(2)})`);
    t.equal(v.vamos.workload.bytes, h.vamos.workload.bytes, 'the same bytes served');
  }
});

t.test('the charts: one pair per profile and IOMMU mode, a bar per series and cache size', async (t) => {
  const files = webChartFiles(cold);
  t.same([...files.keys()], ['throughput-modern-strict.svg', 'exits-modern-strict.svg']);
  const throughput = files.get('throughput-modern-strict.svg')!;
  t.match(throughput, /^<\?xml[^]*<svg [^>]*class="chart chart-throughput"/);
  t.equal(throughput.match(/<rect class="bar"/g)?.length, 2 * 3, 'two cache sizes, three bars each (baseline, vmcall, virtio)');
  for (const p of cold) t.ok(throughput.includes(`>${pct(p.improvement).replace(/^(?!-)/, '+')}</text>`), `the ${p.transport} bar at ${p.cachePages} pages is labelled with its improvement`);
  t.match(throughput, /VAMOS-virtio/);
  const exits = files.get('exits-modern-strict.svg')!;
  // Bars in order: per cache size, the baseline, then each transport; heights in proportion to the values.
  const heights = [...exits.matchAll(/<rect class="bar" [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
  const values = [16, 1024].flatMap((c) => [at(cold, c, 'vmcall').baseline.exitsPerRequest, at(cold, c, 'vmcall').vamos.exitsPerRequest, at(cold, c, 'virtio').vamos.exitsPerRequest]);
  t.equal(heights.length, values.length);
  const scale = heights[0]! / values[0]!;
  for (let i = 0; i < values.length; i++) t.ok(Math.abs(heights[i]! - values[i]! * scale) < 0.2, `bar ${i}: ${heights[i]} px for ${values[i]!.toFixed(2)} exits per request`);
  const html = webSweepHtml({ ...small, iommuModes: ['strict'], cachePages: [16, 1024] }, cold);
  t.equal(html.match(/<svg /g)?.length, 2, 'the HTML page holds both charts inline');
  t.notMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no scripts, nothing fetched');
  t.match(exits, /class="chart chart-exits"/);
});

t.test('vamos bench web writes the charts and web.html beside web.json, transport on every point', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'vamos-bench-web-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const io = bufferIo();
  const args = ['bench', 'web', '--quick', '--out', out, '--files', '10', '--requests', '10', '--clients', '2', '--cache', '8', '--profile', 'modern', '--iommu', 'off', '--transport', 'virtio'];
  t.equal(await main(args, io), 0, io.err);
  t.same(readdirSync(out).sort(), ['exits-modern-off.svg', 'throughput-modern-off.svg', 'web.html', 'web.json']);
  const json = JSON.parse(readFileSync(join(out, 'web.json'), 'utf8')) as { points: { transport: string }[] };
  t.same(json.points.map((p) => p.transport), ['virtio']);
  t.match(io.out, /wrote .*web\.json, .*web\.html \(charts\) and 2 SVG charts/);
});
