/**
 * `vamos report FILE` and `vamos report --diff A B`: the exit tables of `perf kvm stat report`
 * from a trace written by `vamos boot --trace`, as text, JSON, CSV, SVG or a self-contained
 * HTML page (docs/report.md). Usage errors exit 2, unreadable or corrupt traces exit 1, each
 * with one line on stderr.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { analyze, GROUPINGS, type AnalyzeOptions, type GroupBy } from '../vmm/report/analyze.js';
import { diffRuns } from '../vmm/report/diff.js';
import { loadRun } from '../vmm/report/load.js';
import { renderCsv, renderDiffCsv, renderDiffJson, reportJson } from '../vmm/report/data.js';
import { renderDiffHtml, renderHtml } from '../vmm/report/html.js';
import { seriesOf } from '../vmm/report/series.js';
import { barsSvg } from '../vmm/report/svg-bars.js';
import { costSvg } from '../vmm/report/svg-cost.js';
import { timelineSvg } from '../vmm/report/svg-timeline.js';
import { renderDiffText, renderText } from '../vmm/report/text.js';
import { perOpLine } from '../vmm/report/describe.js';
import { parseArgs, usage, UsageError, type Flags } from './args.js';
import type { Io } from './io.js';

export const REPORT_FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  by: { kind: 'string', value: 'GROUP', help: 'group exits by reason (default), device, function or reason-function' },
  format: { kind: 'string', value: 'FMT', help: 'text (default, perf kvm stat columns), json, csv, html or svg' },
  chart: { kind: 'string', value: 'CHART', help: 'with --format svg: bars (default), cost or timeline' },
  from: { kind: 'string', value: 'TIME', help: 'only exits at or after TIME of virtual time (500us, 1.5ms, 2s; a bare number is us)' },
  to: { kind: 'string', value: 'TIME', help: 'only exits before TIME of virtual time' },
  top: { kind: 'count', value: 'N', help: 'list the N busiest exit sites (default 10; 0 for none)' },
  output: { kind: 'string', value: 'FILE', help: 'write the report to FILE instead of stdout' },
  diff: { kind: 'boolean', help: 'compare two traces: vamos report --diff A B' },
  ops: { kind: 'string', value: 'N[,M]', help: 'operations each run did (N for both, or N,M): adds per-operation rates' },
  per: { kind: 'string', value: 'N[,M]', help: 'the same as --ops' },
} satisfies Flags;

const FORMATS = ['text', 'json', 'csv', 'html', 'svg'] as const;
const CHARTS = ['bars', 'cost', 'timeline'] as const;
const SYNOPSIS = 'vamos report [options] FILE\n       vamos report --diff [options] A B';
const ABOUT = 'Reports the VM exits recorded by `vamos boot --trace FILE`, in the columns of `perf kvm stat report`.';

export function reportUsage(): string {
  return usage(SYNOPSIS, ABOUT, REPORT_FLAGS);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: '${value}' is not one of ${allowed.join(', ')}`);
  return value as T;
}

const TIME_UNITS: Record<string, number> = { '': 1, us: 1, 'µs': 1, ms: 1e3, s: 1e6 };

/** "500us", "1.5ms", "2s", "750" (µs) → µs of virtual time. */
export function parseTime(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: '${text}' is not a time (examples: 500us, 1.5ms, 2s)`);
  return Number(m[1]) * TIME_UNITS[(m[2] ?? '').toLowerCase()];
}

export function parseOps(text: string, flag: string, runs: number): [number, number] {
  const parts = text.split(',').map((p) => p.trim());
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (parts.length > runs || nums.some((n) => !(n > 0) || !Number.isSafeInteger(n))) {
    throw new UsageError(`${flag}: '${text}' is not ${runs === 1 ? 'a positive whole number' : 'N or N,M (positive whole numbers)'}`);
  }
  return [nums[0], nums[1] ?? nums[0]];
}

/** Replaces the file only once the whole report is written, so a failure leaves no half file. */
function writeOutput(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* nothing was written */ }
    throw new Error(`${path}: cannot write the report: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function reportMain(argv: string[], io: Io): number {
  try {
    return report(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`vamos report: ${e.message}\n${reportUsage()}`);
      return 2;
    }
    if (e instanceof Error && !(e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError)) {
      io.stderr(`vamos report: ${e.message.split('\n')[0]}\n`);
      return 1;
    }
    throw e;
  }
}

function report(argv: string[], io: Io): number {
  const { flags, positional } = parseArgs(argv, REPORT_FLAGS);
  if (flags.help) { io.stdout(reportUsage()); return 0; }
  const runs = flags.diff ? 2 : 1;
  if (positional.length !== runs) {
    throw new UsageError(flags.diff ? `--diff takes two traces, got ${positional.length}` : positional.length === 0 ? 'no trace file given' : `report takes one trace (or --diff A B), got ${positional.length}`);
  }
  const by = oneOf<GroupBy>(flags.by, GROUPINGS, '--by', 'reason');
  const format = oneOf(flags.format, FORMATS, '--format', 'text');
  if (flags.chart !== undefined && format !== 'svg') throw new UsageError('--chart applies to --format svg only');
  const chart = oneOf(flags.chart, CHARTS, '--chart', 'bars');
  if (flags.ops !== undefined && flags.per !== undefined) throw new UsageError('give --ops or --per, not both');
  const opsText = flags.ops ?? flags.per;
  const ops = opsText === undefined ? null : parseOps(opsText, flags.ops !== undefined ? '--ops' : '--per', runs);
  const opts: AnalyzeOptions = { by, top: flags.top ?? 10 };
  if (flags.from !== undefined) opts.fromUs = parseTime(flags.from, '--from');
  if (flags.to !== undefined) opts.toUs = parseTime(flags.to, '--to');
  if (opts.fromUs !== undefined && opts.toUs !== undefined && opts.toUs <= opts.fromUs) {
    throw new UsageError(`--to (${flags.to}) must be after --from (${flags.from})`);
  }

  let text: string;
  if (flags.diff) {
    const d = diffRuns(loadRun(positional[0]), loadRun(positional[1]), opts, ops);
    const series = seriesOf(d.a, d.b);
    switch (format) {
      case 'text': text = renderDiffText(d); break;
      case 'json': text = renderDiffJson(d); break;
      case 'csv': text = renderDiffCsv(d); break;
      case 'html': text = renderDiffHtml(d); break;
      case 'svg': text = chart === 'bars' ? barsSvg(series) : chart === 'cost' ? costSvg(series) : timelineSvg(series); break;
    }
  } else {
    const an = analyze(loadRun(positional[0]), opts);
    const series = seriesOf(an);
    const per = ops?.[0] ?? null;
    switch (format) {
      case 'text': text = renderText(an) + (per ? '\n' + perOpLine(an, per) + '\n' : ''); break;
      case 'json': text = JSON.stringify({ ...reportJson(an), ...(per && { perOp: perOpJson(an, per) }) }, null, 2) + '\n'; break;
      case 'csv': text = renderCsv(an); break;
      case 'html': text = renderHtml(an); break;
      case 'svg': text = chart === 'bars' ? barsSvg(series) : chart === 'cost' ? costSvg(series) : timelineSvg(series); break;
    }
  }
  if (flags.output !== undefined) writeOutput(flags.output, text);
  else io.stdout(text);
  return 0;
}

function perOpJson(an: ReturnType<typeof analyze>, ops: number): Record<string, number> {
  const timeUs = (an.cycles * 1e6) / an.run.trailer.cpuHz;
  return { operations: ops, exitsPerOp: an.exits.length / ops, timeUsPerOp: timeUs / ops };
}
