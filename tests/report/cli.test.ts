/** `vamos report` as a user runs it: formats, grouping flags, diffs, and its errors. */
import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportMain } from '../../cli/report.js';
import { bufferIo } from '../../cli/io.js';
import { bootMain } from '../../cli/boot.js';
import { writeImage } from '../../toolchain/image/write.js';
import { beepGuest, bootTraced, dir } from './guest.js';

const N = 40, M = 25;
const a = bootTraced(beepGuest(N, M), { label: 'beep 40/25' }).path;
const b = bootTraced(beepGuest(N / 2, M), { label: 'beep 20/25', profile: 'modern' }).path;

function report(...argv: string[]) {
  const io = bufferIo();
  const code = reportMain(argv, io);
  return { code, out: io.out, err: io.err };
}

t.test('text: the perf kvm stat table with the exits the program made', async (t) => {
  const r = report(a);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^# trace .*: beep 40\/25, profile nehalem-2011 \(2930 MHz\), 66 exits recorded; guest powered off/);
  t.match(r.out, /VM-EXIT\s+Samples\s+Samples%\s+Time%\s+Min Time\s+Max Time\s+Avg time/);
  t.match(r.out, /\n\s+io\s+66\s+100\.00%\s+100\.00%\s+[\d.]+us\s+[\d.]+us\s+[\d.]+us \( \+-\s+[\d.]+% \)\n/);
  t.match(r.out, /Total Samples:66, Total events handled time:[\d.]+us\./);
  t.match(r.out, /Top 3 exit sites:/);
  t.match(r.out, /0x[0-9a-f]{8}\s+beep\+0x[0-9a-f]+\s+io\s+null\s+40\s+60\.61%/);
});

t.test('--by function: Samples% of each function', async (t) => {
  const r = report('--by', 'function', '--top', '0', a);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /Function\s+Samples/);
  t.match(r.out, /\n\s+beep\s+40\s+60\.61%/);
  t.match(r.out, /\n\s+other\s+25\s+37\.88%/);
  t.match(r.out, /\n\s+_start\s+1\s+1\.52%/);
  t.notMatch(r.out, /exit sites/, '--top 0 lists no sites');
});

t.test('--format csv: a header and one row per group', async (t) => {
  const r = report('--format', 'csv', '--by', 'reason-function', a);
  const lines = r.out.trimEnd().split('\r\n');
  t.equal(lines[0], 'group,samples,samples_pct,time_us,time_pct,min_us,max_us,avg_us,stddev_pct');
  t.same(lines.slice(1).map((l) => l.split(',').slice(0, 3)), [['beep:io', '40', '60.6061'], ['other:io', '25', '37.8788'], ['_start:io', '1', '1.5152']]);
});

t.test('--format json: groups, sites and the trace facts', async (t) => {
  const j = JSON.parse(report('--format', 'json', '--by', 'device', a).out);
  t.match(j.trace, { label: 'beep 40/25', profile: 'nehalem-2011', records: 66, totalExits: 66, ring: null, dropped: 0 });
  t.equal(j.by, 'device');
  t.same(j.groups.map((g: { device: string; samples: number }) => [g.device, g.samples]), [['null', 65], ['power', 1]]);
  t.equal(j.total.samples, 66);
  t.match(j.sites[0], { function: 'beep', reason: 'io', device: 'null', samples: 40 });
  t.match(j.sites[0].eip, /^0x[0-9a-f]{8}$/);
});

t.test('--from/--to: a window of virtual time', async (t) => {
  const all = JSON.parse(report('--format', 'json', a).out);
  const none = JSON.parse(report('--format', 'json', '--from', '10s', a).out);
  t.equal(all.total.samples, 66);
  t.equal(none.total.samples, 0);
  t.same(none.window, { fromUs: 10e6, toUs: null });
  const ms = JSON.parse(report('--format', 'json', '--from', '0.5ms', '--to', '1500us', a).out);
  t.same(ms.window, { fromUs: 500, toUs: 1500 });
  t.match(report('--to', '1ms', a).out, /# window start to 1\.000ms of virtual time: \d+ of 66 exits/);
});

t.test('--diff: two runs side by side with the change in each row', async (t) => {
  const r = report('--diff', '--by', 'function', a, b);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /# A: trace .*: beep 40\/25, profile nehalem-2011/);
  t.match(r.out, /# B: trace .*: beep 20\/25, profile modern/);
  t.match(r.out, /\n\s+beep\s+40\s+20\s+-20\s+-50\.00%/);
  t.match(r.out, /\n\s+other\s+25\s+25\s+0\s+0\.00%/);
  t.match(r.out, /\n\s+Total\s+66\s+46\s+-20\s+-30\.30%/);
  const j = JSON.parse(report('--diff', '--format', 'json', '--ops', '10,5', a, b).out);
  t.same(j.ops, { a: 10, b: 5 });
  t.match(j.total, { a: { samples: 66, samplesPerOp: 6.6 }, b: { samples: 46, samplesPerOp: 9.2 }, change: { samples: -20 } });
  t.equal(Math.round(j.total.change.samplesPerOpPct * 100) / 100, 39.39);
  const csv = report('--diff', '--format', 'csv', '--per', '2', a, b).out.trimEnd().split('\r\n');
  t.match(csv[0], /^group,samples_a,samples_b,samples_change,samples_change_pct,.*,per_op_a,per_op_b,per_op_change_pct,time_us_per_op_a,time_us_per_op_b,time_per_op_change_pct$/);
  t.match(csv[csv.length - 1], /^Total,66,46,-20,-30\.303,/);
});

t.test('a group only one run has: "new" in B, -100% when gone', async (t) => {
  const c = bootTraced(beepGuest(N, 0), { label: 'beep only' }).path;
  const j = JSON.parse(report('--diff', '--format', 'json', '--by', 'function', c, a).out);
  const other = j.rows.find((r: { key: string }) => r.key === 'other');
  t.match(other, { a: { samples: 0 }, b: { samples: M }, change: { samples: M, samplesPct: null, avgPct: null } });
  t.match(report('--diff', '--by', 'function', c, a).out, /\n\s+other\s+0\s+25\s+\+25\s+new\s/);
  t.match(report('--diff', '--by', 'function', a, c).out, /\n\s+other\s+25\s+0\s+-25\s+-100\.00%\s/);
});

t.test('ring traces say how many exits were dropped', async (t) => {
  const ring = bootTraced(beepGuest(N, M), { ring: 10 }).path;
  const r = report(ring);
  t.match(r.out, /# ring of 10: only the last 10 of 66 exits were kept; 56 earlier exits are not in this report/);
  t.match(r.out, /Total Samples:10,/);
});

t.test('--output writes the file whole, and nothing to stdout', async (t) => {
  const out = join(dir, 'report.html');
  const r = report('--format', 'html', '--output', out, a);
  t.equal(r.code, 0, r.err);
  t.equal(r.out, '');
  t.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
  t.notOk(readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temporary file left');
  const bad = report('--output', join(dir, 'no', 'such', 'dir', 'x.txt'), a);
  t.equal(bad.code, 1);
  t.match(bad.err, /^vamos report: .*x\.txt: cannot write the report: ENOENT\n$/);
  t.notOk(existsSync(join(dir, 'no')));
});

t.test('usage errors: one line, the usage, exit code 2', async (t) => {
  for (const argv of [
    [], ['--by', 'colour', a], ['--format', 'pdf', a], ['--from', 'soon', a], ['--to', '-1ms', a],
    ['--from', '2ms', '--to', '1ms', a], ['--diff', a], [a, b], ['--chart', 'pie', '--format', 'svg', a],
    ['--chart', 'bars', a], ['--top', 'many', a], ['--ops', '0', a], ['--ops', '1,2', a], ['--ops', '3', '--per', '3', a],
    ['--bogus', a], ['--diff', '--ops', 'x', a, b],
  ]) {
    const r = report(...argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err, /^vamos report: .+\nusage: vamos report/, argv.join(' '));
    t.notMatch(r.err, /\n\s+at /, 'no stack trace');
  }
  t.equal(report('--help').code, 0);
  t.match(report('--help').out, /--diff/);
});

t.test('end to end: vamos boot --trace, then vamos report; the boot output is unchanged', async (t) => {
  const image = join(dir, 'beep.img');
  writeFileSync(image, writeImage(beepGuest(7, 3)));
  const trace = join(dir, 'e2e.trc');
  const plain = bufferIo(), traced = bufferIo();
  const c1 = bootMain(['--stats', image], plain);
  const c2 = bootMain(['--stats', '--trace', trace, image], traced);
  t.equal(c2, c1);
  t.equal(traced.out, plain.out, 'same console output and the same exit table');
  t.equal(traced.err, plain.err);
  const r = report('--by', 'function', trace);
  t.match(r.out, /# trace .*e2e\.trc: .*beep\.img, profile nehalem-2011/);
  t.match(r.out, /\n\s+beep\s+7\s/);
  t.match(r.out, /\n\s+other\s+3\s/);
});
