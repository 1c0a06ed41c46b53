/**
 * `vamos bench sensitivity`'s plan and chart (issue 17, item 4), without running the guest:
 * each variant changes exactly one figure of the profile, the assumed disk figures of the
 * page-cache profile get their range, the indirect cost per exit its SplitX values, and the
 * tornado puts the widest spread first. (The runs are the sweep's comparePoint, tested elsewhere.)
 */
import t from 'tap';
import { loadProfile } from '../../vmm/profile.js';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { summarize, tornadoSvg, variants } from '../../middleware/experiment/sensitivity.js';
import type { ComparedPoint } from '../../middleware/experiment/sweep.js';

/** The paths at which two profiles differ. */
function diff(a: unknown, b: unknown, at = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b ? [] : [at.slice(1)];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
}

t.test('each variant changes one figure, by its factor', async (t) => {
  const p = loadProfile('nehalem-2011');
  const vs = variants(p, [0.5, 2]);
  for (const v of vs) t.same(diff(p, v.profile), [v.figure], `${v.figure} ${v.label}`);
  const io = vs.filter((v) => v.figure === 'exitCycles.io').map((v) => v.profile.exitCycles.io);
  t.same(io, [1250, 5000]);
  t.same(vs.filter((v) => v.figure === 'disk.latencyNsPerRequest').map((v) => v.value), [50000, 200000], 'a sourced-profile disk: factors only');
  t.same(vs.filter((v) => v.figure === 'indirectExitCycles').map((v) => v.value), [2000, 20000], 'one and ten times a light exit');
  const figures = new Set(vs.map((v) => v.figure));
  for (const f of ['exitCycles.mmio', 'exitCycles.hlt', 'exitCycles.vmcall', 'exitCycles.interrupt-window', 'interruptInjectionCycles', 'cyclesPerInstruction', 'hypercallCycles', 'disk.nsPerByte', 'userspaceExitExtraCycles']) {
    t.ok(figures.has(f), f);
  }
  t.equal(p.indirectExitCycles, undefined, 'the sourced profile has no indirect cost');
  // The placement of virtio work is a figure too: each profile is run with the other choice.
  t.same(vs.filter((v) => v.figure === 'virtioIo').map((v) => v.profile.virtioIo), ['iothread']);
  t.same(variants(loadProfile('modern'), [2]).filter((v) => v.figure === 'virtioIo').map((v) => v.profile.virtioIo), ['vcpu']);
});

t.test('the page-cache profile\'s assumed disk figures are run over their range', async (t) => {
  const p = loadProfile('nehalem-2011-pagecache');
  const lat = variants(p, [0.5, 2]).filter((v) => v.figure === 'disk.latencyNsPerRequest');
  t.same(lat.map((v) => v.value), [2500, 10000, 1000, 20000]);
  t.match(lat[2]!.label, /assumed range/);
});

t.test('the tornado: widest spread first, the profiled value marked', async (t) => {
  const p = loadProfile('nehalem-2011');
  const vs = variants(p, [0.5, 2]);
  const point = (improvement: number): ComparedPoint => ({ improvement, exitReduction: 2, poolPages: 16, iommu: 'off', transport: 'virtio', baseline: { volume: { pageReadsPerOp: 1.1 } } } as unknown as ComparedPoint);
  // Only the disk latency moves the result much in this made-up example.
  const points = vs.map((v) => point(v.figure === 'disk.latencyNsPerRequest' ? (Number(v.value) < 100000 ? 0.2 : 0.02) : 0.05 + (Number(v.value) > 0 ? 0.001 : 0)));
  const r = summarize(p, point(0.05), vs, points);
  t.equal(r.rows[0]!.figure, 'disk.latencyNsPerRequest');
  t.same([r.rows[0]!.low, r.rows[0]!.high], [0.02, 0.2]);
  const svg = tornadoSvg(r);
  t.match(svg, /^<\?xml[^]*<svg[^]*as profiled: \+5\.0%[^]*<\/svg>\n$/);
  t.equal(r.transport, 'virtio', 'a chart per transport, named in the result');
  t.match(svg, /VAMOS over virtio against the baseline: nehalem-2011/);
  t.equal(r.rows.find((x) => x.figure === 'virtioIo')?.base, 'vcpu', 'the placement\'s row says what the profile chose');
  t.equal((svg.match(/<rect x=/g) ?? []).length, r.rows.length, 'one bar per figure');
});

t.test('bench sensitivity --transport: a bad name is a one-line usage error before any run', async (t) => {
  const io = bufferIo();
  const code = await main(['bench', 'sensitivity', '--transport', 'vmcall,tcp'], io);
  t.not(code, 0);
  t.match(io.err, /^vamos[^\n]*--transport tcp: expected vmcall or virtio\n/);
  t.notMatch(io.err, /\n\s+at /, 'no stack trace');
});
