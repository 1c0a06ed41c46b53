/**
 * docs/web.md's two results tables (the VAMOS placement over vmcall and over the virtio module
 * channel) must be the committed bench/results/web.json's figures: this fails when a rerun of
 * `npm run bench` changes web.json and the document is not brought along (its message shows
 * the rows to paste). Points whose cache holds the whole site are left out of the document
 * (they equal the largest cache that does not).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { projectFile } from '../../vmm/paths.js';

/** What web.json's points carry (the fields of the JSON form this document quotes). */
interface Side { requestsPerSecond: number; exitsPerRequest: number; exitShare: number }
interface Point { transport: string; profile: string; iommu: string; cacheOverSite: number; improvement: number; exitReduction: number; baseline: Side; vamos: Side }

const doc = readFileSync(projectFile('docs', 'web.md'), 'utf8');
const json = JSON.parse(readFileSync(projectFile('bench', 'results', 'web.json'), 'utf8')) as { points: Point[] };

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const signed = (x: number): string => `${x < 0 ? '−' : '+'}${Math.abs(x * 100).toFixed(1)}%`;

function rows(transport: string): string[] {
  return json.points.filter((p) => p.transport === transport && p.cacheOverSite < 1).map((p) => [
    p.profile, p.iommu, p.cacheOverSite.toFixed(2),
    int(p.baseline.requestsPerSecond), int(p.vamos.requestsPerSecond), signed(p.improvement),
    p.baseline.exitsPerRequest.toFixed(1), p.vamos.exitsPerRequest.toFixed(1), `${p.exitReduction.toFixed(2)}×`,
    `${Math.round(p.baseline.exitShare * 100)}% / ${Math.round(p.vamos.exitShare * 100)}%`,
  ].join(' | ')).map((r) => `| ${r} |`);
}

/** The rows of the document's table whose header names this VAMOS column. */
function docRows(vamosColumn: string): string[] {
  const lines = doc.split('\n');
  const head = lines.findIndex((l) => l.startsWith('| profile | IOMMU | cache / site |') && l.includes(`| ${vamosColumn} |`));
  if (head < 0) return [];
  const out: string[] = [];
  for (let k = head + 2; lines[k]?.startsWith('| '); k++) out.push(lines[k]!);
  return out;
}

for (const [transport, column] of [['vmcall', 'req/s VAMOS'], ['virtio', 'req/s VAMOS-virtio']] as const) {
  t.test(`docs/web.md's ${transport} table is web.json's`, async (t) => {
    const want = rows(transport);
    t.ok(want.length >= 12, `web.json has the ${transport} points (${want.length})`);
    t.same(docRows(column), want, `docs/web.md's table under "${column}" (expected rows:\n${want.join('\n')})`);
  });
}
