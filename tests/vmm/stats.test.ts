import t from 'tap';
import fc from 'fast-check';
import { ExitStats, formatPerfKvmStat, UNMAPPED } from '../../vmm/stats.js';
import { EXIT_REASONS, type ExitReason } from '../../vmm/exits.js';

const HEADER = /^ +VM-EXIT +Samples +Samples% +Time% +Min Time +Max Time +Avg time $/m;

t.test('aggregates per reason and per device', async (t) => {
  const s = new ExitStats();
  s.record('io', 'uart16550', 9000);
  s.record('io', 'uart16550', 11000);
  s.record('io', undefined, 100);
  s.record('hlt', undefined, 2000);
  t.equal(s.totalCount, 4);
  t.equal(s.totalCycles, 22100);
  t.match(s.reason('io'), { count: 3, totalCycles: 20100, minCycles: 100, maxCycles: 11000 });
  t.equal(s.countOf('io', 'uart16550'), 2);
  t.equal(s.countOf('io', UNMAPPED), 1);
  t.equal(s.byDevice().length, 2, 'hlt carries no device');
  s.reset();
  t.equal(s.totalCount, 0);
});

t.test('renders perf kvm stat layout', async (t) => {
  const s = new ExitStats();
  for (let i = 0; i < 3; i++) s.record('hlt', undefined, 2930);
  s.record('io', 'uart16550', 2930 * 3);
  const out = formatPerfKvmStat(s, 2.93e9);
  t.match(out, HEADER);
  t.match(out, /^ +hlt +3 +75\.00% +50\.00% +1\.00us +1\.00us +1\.00us \( \+- +0\.00% \)$/m);
  t.match(out, /^ +io +1 +25\.00% +50\.00% +3\.00us +3\.00us +3\.00us/m);
  t.match(out, /^ +Device Access +Samples/m);
  t.match(out, /^ +uart16550:io +1 +100\.00%/m);
  t.match(out, /^Total Samples:4, Total events handled time:6\.00us\.$/m);
  t.ok(out.indexOf(' hlt ') < out.indexOf(' io '), 'sorted by samples descending');
  t.match(formatPerfKvmStat(s, 2.93e9, { vmxNames: true }), /^ +HLT +3/m);
  t.notMatch(formatPerfKvmStat(s, 2.93e9, { reasonsOnly: true }), /Device Access/);
});

t.test('column positions match perf (header and rows align)', async (t) => {
  const s = new ExitStats();
  s.record('external-interrupt', undefined, 1000);
  const lines = formatPerfKvmStat(s, 1e9).split('\n');
  const header = lines.find((l) => l.includes('VM-EXIT'))!;
  const row = lines.find((l) => l.includes('external-interrupt'))!;
  t.equal(header, '             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time ');
  t.equal(row, '  external-interrupt          1   100.00%   100.00%      1.00us      1.00us      1.00us ( +-   0.00% )');
});

t.test('percentages sum to about 100 and rows are sorted', async (t) => {
  const reason = fc.constantFrom<ExitReason>(...EXIT_REASONS);
  fc.assert(
    fc.property(fc.array(fc.tuple(reason, fc.integer({ min: 1, max: 1e6 })), { minLength: 1, maxLength: 200 }), (recs) => {
      const s = new ExitStats();
      for (const [r, c] of recs) s.record(r, r === 'io' ? 'port80' : undefined, c);
      const out = formatPerfKvmStat(s, 2.93e9, { reasonsOnly: true });
      const rows = out.split('\n').filter((l) => /%\s*\)$/.test(l)).map((l) => l.trim().split(/\s+/));
      const samples = rows.map((r) => Number(r[1]));
      const sp = rows.reduce((a, r) => a + Number(r[2]!.slice(0, -1)), 0);
      const tp = rows.reduce((a, r) => a + Number(r[3]!.slice(0, -1)), 0);
      return (
        Math.abs(sp - 100) < 0.01 * rows.length + 1e-9 &&
        Math.abs(tp - 100) < 0.01 * rows.length + 1e-9 &&
        samples.every((n, i) => i === 0 || samples[i - 1]! >= n) &&
        samples.reduce((a, b) => a + b, 0) === recs.length
      );
    }),
  );
});
