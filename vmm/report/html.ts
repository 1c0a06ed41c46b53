/**
 * `--format html`: one self-contained page (inline CSS and SVG, no script, no font, no
 * network; a Content-Security-Policy says so to the browser) with the three charts and the table.
 */
import { figures, type Analysis } from './analyze.js';
import { f2, pctChange, signed } from './columns.js';
import { changePct, diffLines, type Diff, type DiffLine } from './diff.js';
import { GROUP_TITLES, notes } from './describe.js';
import { seriesOf, subtitle, type Series } from './series.js';
import { barsSvg } from './svg-bars.js';
import { costSvg } from './svg-cost.js';
import { timelineSvg } from './svg-timeline.js';
import { esc } from './svg.js';
import { hex } from './symbols.js';

const STYLE = `
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
.notes { color: #555; font-size: 13px; margin: 0; padding-left: 18px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts figure { margin: 0; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th { border-bottom: 2px solid #999; } td.key, th.key { text-align: left; font-family: monospace; }
tr.total td { border-top: 2px solid #999; font-weight: bold; }
`;

function page(title: string, noteLines: string[], series: Series[], tables: string): string {
  const charts = [barsSvg(series, false), costSvg(series, false), timelineSvg(series, false)]
    .map((svg, k) => `<figure id="${['bars', 'cost', 'timeline'][k]}">\n${svg}</figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(subtitle(series))}</p>
<ul class="notes">
${noteLines.map((l) => `<li>${esc(l)}</li>`).join('\n')}
</ul>
<div class="charts">
${charts}
</div>
${tables}
</body>
</html>
`;
}

function table(id: string, header: string[], rows: string[][], totalRow?: string[]): string {
  const th = header.map((h, k) => `<th${k === 0 ? ' class="key"' : ''}>${esc(h)}</th>`).join('');
  const tr = (r: string[], cls = ''): string =>
    `<tr${cls}>${r.map((c, k) => `<td${k === 0 ? ' class="key"' : ''}>${esc(c)}</td>`).join('')}</tr>`;
  return `<table id="${id}">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${rows.map((r) => tr(r)).join('\n')}\n` +
    (totalRow ? tr(totalRow, ' class="total"') + '\n' : '') + '</tbody>\n</table>\n';
}

export function renderHtml(an: Analysis): string {
  const hz = an.run.trailer.cpuHz;
  const rows = an.groups.map((g) => {
    const f = figures(g.bucket, an.exits.length, an.cycles, hz);
    return [g.key, String(f.samples), f2(f.samplesPct) + '%', f2(f.timePct) + '%', f2(f.minUs) + 'us', f2(f.maxUs) + 'us',
      `${f2(f.avgUs)}us ( +-${f2(f.stddevPct)}% )`];
  });
  const total = [`Total`, String(an.exits.length), '100.00%', '100.00%', '', '', `${f2(an.cycles * 1e6 / hz)}us handled`];
  const sites = an.sites.map((s) => {
    const f = figures(s.bucket, an.exits.length, an.cycles, hz);
    return [hex(s.eip), s.offset === 0 ? s.fn : `${s.fn}+0x${s.offset.toString(16)}`, s.reason, s.device, String(f.samples), f2(f.samplesPct) + '%', f2(f.avgUs) + 'us'];
  });
  const tables = `<h2>Exits grouped by ${esc(an.by === 'reason-function' ? 'function and reason' : an.by)}</h2>\n` +
    table('exits', [GROUP_TITLES[an.by], 'Samples', 'Samples%', 'Time%', 'Min Time', 'Max Time', 'Avg time'], rows, total) +
    `<h2>Top ${sites.length} exit sites</h2>\n` +
    table('sites', ['eip', 'function', 'VM-EXIT', 'device', 'Samples', 'Samples%', 'Avg time'], sites);
  const series = seriesOf(an);
  return page(`vamos exit report: ${series[0].name}`, notes(an), series, tables);
}

export function renderDiffHtml(d: Diff): string {
  const series = seriesOf(d.a, d.b);
  const { rows, total } = diffLines(d);
  const cells = (r: DiffLine): string[] => {
    const c = [r.key, String(r.a.samples), String(r.b.samples), signed(r.b.samples - r.a.samples, 0), pctChange(changePct(r.a.samples, r.b.samples)),
      f2(r.a.timeUs) + 'us', f2(r.b.timeUs) + 'us', pctChange(changePct(r.a.timeUs, r.b.timeUs)),
      f2(r.a.avgUs) + 'us', f2(r.b.avgUs) + 'us'];
    if (d.ops) c.push(r.a.samplesPerOp!.toFixed(3), r.b.samplesPerOp!.toFixed(3), pctChange(changePct(r.a.samplesPerOp!, r.b.samplesPerOp!)));
    return c;
  };
  const header = [GROUP_TITLES[d.a.by], 'Samples A', 'Samples B', 'Change', 'Change%',
    'Time A', 'Time B', 'Change%', 'Avg A', 'Avg B'];
  if (d.ops) header.push('A/op', 'B/op', 'Change%');
  const noteLines = [...notes(d.a).map((l) => `A (${series[0].name}): ${l}`), ...notes(d.b).map((l) => `B (${series[1].name}): ${l}`)];
  if (d.ops) noteLines.push(`per operation: A did ${d.ops[0]} operations, B did ${d.ops[1]}`);
  const tables = `<h2>A against B</h2>\n` + table('diff', header, rows.map(cells), cells(total));
  return page(`vamos exit report: ${series[0].name} against ${series[1].name}`, noteLines, series, tables);
}
