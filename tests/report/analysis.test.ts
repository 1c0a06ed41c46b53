/**
 * The report's numbers against the exits a known program must make: N io exits in `beep`,
 * M in `other`, one power-off in `_start`.
 */
import t from 'tap';
import { analyze } from '../../vmm/report/analyze.js';
import { loadRun } from '../../vmm/report/load.js';
import { diffRuns } from '../../vmm/report/diff.js';
import { beepGuest, bootTraced } from './guest.js';

const N = 40, M = 25;
const run = bootTraced(beepGuest(N, M));

t.test('by function: N io exits in beep, M in other, one in _start', async (t) => {
  const an = analyze(loadRun(run.path), { by: 'function' });
  const total = N + M + 1;
  t.equal(an.exits.length, total, 'every exit the program makes, and no other');
  t.equal(run.seen.length, total);
  const g = Object.fromEntries(an.groups.map((x) => [x.key, x.bucket]));
  t.same(Object.keys(g), ['beep', 'other', '_start'], 'most samples first');
  t.equal(g.beep.count, N);
  t.equal(g.other.count, M);
  t.equal(g._start.count, 1);
  // Time% against the costs the VMM charged, as it reported them through onExit.
  const cost = (fn: string): number => run.seen.filter((s) => an.exits.find((e) => e.at === s.at)?.fn === fn).reduce((a, s) => a + s.cycles, 0);
  const all = run.seen.reduce((a, s) => a + s.cycles, 0);
  t.equal(an.cycles, all, 'exit handling time is the sum of the charged costs');
  t.equal(g.beep.totalCycles, cost('beep'));
  t.equal(g.other.totalCycles, cost('other'));
});

t.test('by reason, device and reason × function', async (t) => {
  const r = loadRun(run.path);
  const byReason = analyze(r).groups;
  t.same(byReason.map((g) => [g.key, g.bucket.count]), [['io', N + M + 1]]);
  const byDevice = analyze(r, { by: 'device' }).groups;
  t.same(byDevice.map((g) => [g.key, g.bucket.count]), [['null', N + M], ['power', 1]]);
  const rf = analyze(r, { by: 'reason-function' }).groups;
  t.same(rf.map((g) => [g.key, g.reason, g.fn, g.bucket.count]), [['beep:io', 'io', 'beep', N], ['other:io', 'io', 'other', M], ['_start:io', 'io', '_start', 1]]);
});

t.test('the top sites are the two out instructions, then the power-off', async (t) => {
  const an = analyze(loadRun(run.path), { top: 2 });
  t.equal(an.sites.length, 2);
  t.match(an.sites[0], { fn: 'beep', reason: 'io', device: 'null', bucket: { count: N } });
  t.match(an.sites[1], { fn: 'other', reason: 'io', device: 'null', bucket: { count: M } });
  t.equal(an.sites[0].offset, an.sites[1].offset, 'the same instruction in both loops');
  t.equal(analyze(loadRun(run.path), { top: 10 }).sites.length, 3);
});

t.test('a time window keeps the exits inside [from, to)', async (t) => {
  const r = loadRun(run.path);
  const hz = r.trailer.cpuHz;
  const us = (cycles: number): number => (cycles * 1e6) / hz;
  // From the first exit of `other` to the end: M + 1 exits.
  const k = r.exits.findIndex((e) => e.fn === 'other');
  // Halfway between the last exit of beep and the first of other: no rounding at the edge.
  const cut = us((r.exits[k - 1].at + r.exits[k].at) / 2);
  const an = analyze(r, { by: 'function', fromUs: cut });
  t.same(an.groups.map((g) => [g.key, g.bucket.count]), [['other', M], ['_start', 1]]);
  const upTo = analyze(r, { by: 'function', toUs: cut });
  t.same(upTo.groups.map((g) => [g.key, g.bucket.count]), [['beep', N]]);
  t.equal(analyze(r, { fromUs: 1e9 }).exits.length, 0, 'a window past the end is empty, not an error');
});

t.test('ring mode keeps only the last exits and says how many there were', async (t) => {
  const ring = bootTraced(beepGuest(N, M), { ring: 5 });
  const r = loadRun(ring.path);
  t.equal(r.exits.length, 5);
  t.equal(r.trailer.totalExits, N + M + 1);
  t.equal(r.trailer.ring, 5);
  t.equal(r.dropped, N + M + 1 - 5);
  t.same(r.exits.map((e) => e.fn), ['other', 'other', 'other', 'other', '_start'], 'the last five, oldest first');
  t.same(r.exits.map((e) => e.at), ring.seen.slice(-5).map((s) => s.at));
});

t.test('a diff lines up the groups of two runs', async (t) => {
  const b = bootTraced(beepGuest(N * 2, 0 + 1), { label: 'more beeps' });
  const d = diffRuns(loadRun(run.path), loadRun(b.path), { by: 'function' });
  const rows = Object.fromEntries(d.rows.map((r) => [r.key, [r.a?.count ?? 0, r.b?.count ?? 0]]));
  t.same(rows, { beep: [N, 2 * N], other: [M, 1], _start: [1, 1] });
  t.same(d.rows.map((r) => r.key), ['beep', 'other', '_start'], 'most exits over both runs first');
});
