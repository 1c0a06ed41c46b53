/** What a chart draws: one run, or two runs side by side. */
import type { Analysis } from './analyze.js';
import { pairNames, runName } from './describe.js';

export interface Series {
  name: string;
  an: Analysis;
}

export function seriesOf(a: Analysis, b?: Analysis): Series[] {
  if (b === undefined) return [{ name: runName(a.run), an: a }];
  const [na, nb] = pairNames(a.run, b.run);
  return [{ name: na, an: a }, { name: nb, an: b }];
}

/** The chart's second title line: what ran, on which profile, how many exits. */
export function subtitle(series: Series[]): string {
  const one = (s: Series): string => {
    const dropped = s.an.run.dropped > 0 ? `, ring: last ${s.an.run.exits.length} of ${s.an.run.trailer.totalExits}` : '';
    return `${s.name} (profile ${s.an.run.trailer.profile}, ${s.an.exits.length} exits${dropped})`;
  };
  return series.map(one).join('  vs  ');
}
