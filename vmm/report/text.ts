/** `vamos report` as text: perf kvm stat's table, then the busiest exit sites. */
import { formatPerfTable } from '../stats.js';
import { figures, type Analysis } from './analyze.js';
import { columns, f2, pctChange, signed } from './columns.js';
import { diffLines, changePct, type Diff, type DiffLine } from './diff.js';
import { GROUP_TITLES, notes } from './describe.js';
import { hex } from './symbols.js';

export function renderText(an: Analysis): string {
  const hz = an.run.trailer.cpuHz;
  let out = notes(an).map((l) => `# ${l}\n`).join('');
  out += formatPerfTable(GROUP_TITLES[an.by], an.groups.map((g) => ({ key: g.key, bucket: g.bucket })), hz);
  if (an.sites.length > 0) out += '\n' + renderSites(an);
  return out;
}

export function renderSites(an: Analysis): string {
  const hz = an.run.trailer.cpuHz;
  const rows = an.sites.map((s) => {
    const f = figures(s.bucket, an.exits.length, an.cycles, hz);
    return [hex(s.eip), s.offset === 0 ? s.fn : `${s.fn}+0x${s.offset.toString(16)}`, s.reason, s.device,
      String(f.samples), f2(f.samplesPct) + '%', f2(f.timePct) + '%', f2(f.avgUs) + 'us'];
  });
  return `Top ${an.sites.length} exit sites:\n\n` +
    columns(['eip', 'function', 'VM-EXIT', 'device', 'Samples', 'Samples%', 'Time%', 'Avg time'], rows, [1, 2, 3]);
}

export function renderDiffText(d: Diff): string {
  let out = '';
  for (const [tag, an] of [['A', d.a], ['B', d.b]] as const) {
    out += notes(an).map((l, k) => (k === 0 ? `# ${tag}: ${l}\n` : `#    ${l}\n`)).join('');
  }
  if (d.ops) out += `# per operation: A did ${d.ops[0]} operations, B did ${d.ops[1]}\n`;
  const { rows, total } = diffLines(d);
  const header = [GROUP_TITLES[d.a.by], 'Samples A', 'Samples B', 'Change', 'Change%',
    'Time A', 'Time B', 'Change%', 'Avg A', 'Avg B', 'Change%'];
  if (d.ops) header.push('A/op', 'B/op', 'Change%', 'Time A/op', 'Time B/op', 'Change%');
  const cells = (r: DiffLine): string[] => {
    const c = [r.key, String(r.a.samples), String(r.b.samples), signed(r.b.samples - r.a.samples, 0),
      pctChange(changePct(r.a.samples, r.b.samples)),
      f2(r.a.timeUs) + 'us', f2(r.b.timeUs) + 'us', pctChange(changePct(r.a.timeUs, r.b.timeUs)),
      f2(r.a.avgUs) + 'us', f2(r.b.avgUs) + 'us', r.a.samples && r.b.samples ? pctChange(changePct(r.a.avgUs, r.b.avgUs)) : '-'];
    if (d.ops) {
      c.push(r.a.samplesPerOp!.toFixed(3), r.b.samplesPerOp!.toFixed(3), pctChange(changePct(r.a.samplesPerOp!, r.b.samplesPerOp!)),
        f2(r.a.timeUsPerOp!) + 'us', f2(r.b.timeUsPerOp!) + 'us', pctChange(changePct(r.a.timeUsPerOp!, r.b.timeUsPerOp!)));
    }
    return c;
  };
  const body = columns(header, [...rows.map(cells), cells(total)]);
  // A rule above the total, as wide as the table.
  const lines = body.trimEnd().split('\n');
  const width = Math.max(...lines.map((l) => l.length));
  lines.splice(lines.length - 1, 0, '-'.repeat(width));
  return out + '\n' + lines.join('\n') + '\n';
}
