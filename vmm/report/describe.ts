/** Names and header lines that every renderer shares. */
import { basename } from 'node:path';
import { cyclesToUs, type Analysis, type GroupBy } from './analyze.js';
import type { Run } from './load.js';

export const GROUP_TITLES: Record<GroupBy, string> = {
  reason: 'VM-EXIT',
  device: 'Device',
  function: 'Function',
  'reason-function': 'Function:VM-EXIT',
};

export function runName(run: Run): string {
  return run.trailer.label || basename(run.file);
}

/** Names for two runs that a reader can tell apart even when both booted the same image. */
export function pairNames(a: Run, b: Run): [string, string] {
  const na = runName(a), nb = runName(b);
  if (na !== nb) return [na, nb];
  const fa = basename(a.file), fb = basename(b.file);
  return fa !== fb ? [fa, fb] : ['A', 'B'];
}

export function formatUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(3)}ms` : `${us.toFixed(2)}us`;
}

/** The facts a reader needs before trusting the numbers: what ran, what is missing, what is cut. */
export function notes(an: Analysis): string[] {
  const { run } = an;
  const t = run.trailer;
  const out = [
    `trace ${run.file}: ${runName(run)}, profile ${t.profile} (${(t.cpuHz / 1e6).toFixed(0)} MHz), ` +
      `${run.exits.length} exits recorded${t.stop ? `; ${t.stop}` : ''}`,
  ];
  if (run.dropped > 0) {
    out.push(`ring of ${t.ring ?? run.exits.length}: only the last ${run.exits.length} of ${t.totalExits} exits were kept; ` +
      `${run.dropped} earlier exits are not in this report`);
  }
  if (an.fromUs !== null || an.toUs !== null) {
    const from = an.fromUs === null ? 'start' : formatUs(an.fromUs);
    const to = an.toUs === null ? 'end' : formatUs(an.toUs);
    out.push(`window ${from} to ${to} of virtual time: ${an.exits.length} of ${run.exits.length} exits`);
  }
  return out;
}

export function exitHandlingUs(an: Analysis): number {
  return cyclesToUs(an.cycles, an.run.trailer.cpuHz);
}

/** With the number of operations the run did: exits and exit-handling time per operation. */
export function perOpLine(an: Analysis, ops: number): string {
  return `Per operation (${ops} operations): ${(an.exits.length / ops).toFixed(3)} exits, ` +
    `${(exitHandlingUs(an) / ops).toFixed(2)}us of exit handling`;
}
