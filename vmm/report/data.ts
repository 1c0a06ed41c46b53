/** `--format json` and `--format csv`: the same rows as the text table, in machine-readable shapes. */
import { figures, type Analysis, type Group } from './analyze.js';
import { changePct, diffLines, type Diff, type DiffLine } from './diff.js';
import { exitHandlingUs, pairNames, runName } from './describe.js';
import { hex } from './symbols.js';

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
const roundOrNull = (x: number | null): number | null => (x === null ? null : round(x));

function traceInfo(an: Analysis): Record<string, unknown> {
  const { run } = an;
  const t = run.trailer;
  return {
    file: run.file, label: runName(run), profile: t.profile, cpuHz: t.cpuHz, stop: t.stop,
    records: run.exits.length, totalExits: t.totalExits, ring: t.ring, dropped: run.dropped,
  };
}

function groupJson(an: Analysis, g: Group): Record<string, unknown> {
  const f = figures(g.bucket, an.exits.length, an.cycles, an.run.trailer.cpuHz);
  return {
    key: g.key,
    ...(g.reason !== undefined && { reason: g.reason }),
    ...(g.device !== undefined && { device: g.device }),
    ...(g.fn !== undefined && { function: g.fn }),
    samples: f.samples, samplesPct: round(f.samplesPct), timeUs: round(f.timeUs), timePct: round(f.timePct),
    minUs: round(f.minUs), maxUs: round(f.maxUs), avgUs: round(f.avgUs), stddevPct: round(f.stddevPct),
  };
}

export function reportJson(an: Analysis): Record<string, unknown> {
  const hz = an.run.trailer.cpuHz;
  return {
    trace: traceInfo(an),
    by: an.by,
    window: { fromUs: an.fromUs, toUs: an.toUs },
    total: { samples: an.exits.length, timeUs: round(exitHandlingUs(an)) },
    groups: an.groups.map((g) => groupJson(an, g)),
    sites: an.sites.map((s) => {
      const f = figures(s.bucket, an.exits.length, an.cycles, hz);
      return { eip: hex(s.eip), function: s.fn, offset: s.offset, reason: s.reason, device: s.device,
        samples: f.samples, samplesPct: round(f.samplesPct), timePct: round(f.timePct), avgUs: round(f.avgUs) };
    }),
  };
}

export function renderJson(an: Analysis): string {
  return JSON.stringify(reportJson(an), null, 2) + '\n';
}

function diffLineJson(r: DiffLine): Record<string, unknown> {
  const sideJson = (s: DiffLine['a']): Record<string, unknown> => ({
    samples: s.samples, timeUs: round(s.timeUs), avgUs: round(s.avgUs),
    ...(s.samplesPerOp !== null && { samplesPerOp: round(s.samplesPerOp), timeUsPerOp: round(s.timeUsPerOp!) }),
  });
  return {
    key: r.key, a: sideJson(r.a), b: sideJson(r.b),
    change: {
      samples: r.b.samples - r.a.samples,
      samplesPct: roundOrNull(changePct(r.a.samples, r.b.samples)),
      timeUs: round(r.b.timeUs - r.a.timeUs),
      timePct: roundOrNull(changePct(r.a.timeUs, r.b.timeUs)),
      avgPct: r.a.samples && r.b.samples ? roundOrNull(changePct(r.a.avgUs, r.b.avgUs)) : null,
      ...(r.a.samplesPerOp !== null && {
        samplesPerOpPct: roundOrNull(changePct(r.a.samplesPerOp, r.b.samplesPerOp!)),
        timePerOpPct: roundOrNull(changePct(r.a.timeUsPerOp!, r.b.timeUsPerOp!)),
      }),
    },
  };
}

export function diffJson(d: Diff): Record<string, unknown> {
  const [na, nb] = pairNames(d.a.run, d.b.run);
  const { rows, total } = diffLines(d);
  return {
    a: { name: na, ...traceInfo(d.a) },
    b: { name: nb, ...traceInfo(d.b) },
    by: d.a.by,
    window: { fromUs: d.a.fromUs, toUs: d.a.toUs },
    ops: d.ops ? { a: d.ops[0], b: d.ops[1] } : null,
    rows: rows.map(diffLineJson),
    total: diffLineJson(total),
  };
}

export function renderDiffJson(d: Diff): string {
  return JSON.stringify(diffJson(d), null, 2) + '\n';
}

/** RFC 4180: quote a field that holds a comma, a quote or a line break. */
export function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function renderCsv(an: Analysis): string {
  const hz = an.run.trailer.cpuHz;
  return csv(
    ['group', 'samples', 'samples_pct', 'time_us', 'time_pct', 'min_us', 'max_us', 'avg_us', 'stddev_pct'],
    an.groups.map((g) => {
      const f = figures(g.bucket, an.exits.length, an.cycles, hz);
      return [g.key, f.samples, round(f.samplesPct), round(f.timeUs), round(f.timePct), round(f.minUs), round(f.maxUs), round(f.avgUs), round(f.stddevPct)];
    }),
  );
}

export function renderDiffCsv(d: Diff): string {
  const { rows, total } = diffLines(d);
  const perOp = d.ops !== null;
  const header = ['group', 'samples_a', 'samples_b', 'samples_change', 'samples_change_pct',
    'time_us_a', 'time_us_b', 'time_change_pct', 'avg_us_a', 'avg_us_b', 'avg_change_pct'];
  if (perOp) header.push('per_op_a', 'per_op_b', 'per_op_change_pct', 'time_us_per_op_a', 'time_us_per_op_b', 'time_per_op_change_pct');
  const line = (r: DiffLine): (string | number | null)[] => {
    const c: (string | number | null)[] = [r.key, r.a.samples, r.b.samples, r.b.samples - r.a.samples,
      roundOrNull(changePct(r.a.samples, r.b.samples)), round(r.a.timeUs), round(r.b.timeUs),
      roundOrNull(changePct(r.a.timeUs, r.b.timeUs)), round(r.a.avgUs), round(r.b.avgUs),
      r.a.samples && r.b.samples ? roundOrNull(changePct(r.a.avgUs, r.b.avgUs)) : null];
    if (perOp) {
      c.push(round(r.a.samplesPerOp!), round(r.b.samplesPerOp!), roundOrNull(changePct(r.a.samplesPerOp!, r.b.samplesPerOp!)),
        round(r.a.timeUsPerOp!), round(r.b.timeUsPerOp!), roundOrNull(changePct(r.a.timeUsPerOp!, r.b.timeUsPerOp!)));
    }
    return c;
  };
  return csv(header, [...rows.map(line), line(total)]);
}
