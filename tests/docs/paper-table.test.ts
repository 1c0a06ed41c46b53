/**
 * docs/paper.md's results table quotes bench/results/paper.json (issue 15, item 12): every cell
 * must be the JSON's number, formatted as the table formats it, so the two cannot drift apart.
 * After a new `vamos bench paper` run, update the table from the JSON (this test names each cell
 * that differs).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { projectFile } from '../../vmm/paths.js';

interface Point {
  profile: string; iommu: string; poolPages: number;
  baselineOpsPerSecond: number; vamosOpsPerSecond: number; improvement: number;
  baselineExitsPerOp: number; vamosExitsPerOp: number; exitReduction: number;
}
const json = JSON.parse(readFileSync(projectFile('bench', 'results', 'paper.json'), 'utf8')) as { points: Point[] };
const doc = readFileSync(projectFile('docs', 'paper.md'), 'utf8');

const ops = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (n: number): string => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)}%`;

/** The table's rows, in the JSON's words. */
function expected(p: Point): string[] {
  return [p.profile, p.iommu, ops(p.baselineOpsPerSecond), ops(p.vamosOpsPerSecond), pct(p.improvement),
    p.baselineExitsPerOp.toFixed(2), p.vamosExitsPerOp.toFixed(2), `${p.exitReduction.toFixed(1)}×`];
}

t.test('the results table is paper.json at the most I/O-bound pool', async (t) => {
  const pool = Math.min(...json.points.map((p) => p.poolPages));
  const rows = doc.split('\n').filter((l) => /^\| (nehalem|modern)/.test(l) && l.split('|').length === 10)
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const want = json.points.filter((p) => p.poolPages === pool);
  t.equal(rows.length, want.length, `a row per configuration (${want.length})`);
  for (const p of want) {
    const row = rows.find((r) => r[0] === p.profile && r[1] === p.iommu);
    t.same(row, expected(p), `${p.profile}, iommu ${p.iommu}`);
  }
});
