/**
 * Plain-text tables beyond perf's own (the perf kvm stat table itself comes from vmm/stats.ts):
 * the first column right-aligned like perf's names, the rest right-aligned numbers.
 */
export function columns(header: string[], rows: string[][], leftAligned: number[] = []): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, k) => (leftAligned.includes(k) ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ').trimEnd();
  return [line(header), '', ...rows.map(line)].join('\n') + '\n';
}

export function f2(x: number): string {
  return x.toFixed(2);
}

export function signed(x: number, digits = 2): string {
  const s = x.toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits); // no "-0.00"
  return x > 0 ? '+' + s : s;
}

export function pctChange(p: number | null): string {
  return p === null ? 'new' : signed(p) + '%';
}
