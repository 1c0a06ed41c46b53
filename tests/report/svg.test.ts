/** The standalone SVG charts: well-formed XML, and as many bars as the data has. */
import t from 'tap';
import { reportMain } from '../../cli/report.js';
import { bufferIo } from '../../cli/io.js';
import { beepGuest, bootTraced } from './guest.js';
import { findAll, parseXml, type El } from './xml.js';
import { analyze } from '../../vmm/report/analyze.js';
import { loadRun } from '../../vmm/report/load.js';
import { seriesOf } from '../../vmm/report/series.js';
import { barsSvg, MAX_CATEGORIES } from '../../vmm/report/svg-bars.js';
import { costBins } from '../../vmm/report/svg-cost.js';
import { TIME_BINS } from '../../vmm/report/svg-timeline.js';
import { defaultGuest } from '../../guest-os/build.js';

const a = bootTraced(beepGuest(40, 25), { label: 'a <beep> & "co"' }).path;
const b = bootTraced(beepGuest(20, 25), { label: 'b', profile: 'modern' }).path;
const hello = bootTraced(defaultGuest(), { label: 'hello' }).path;

function svg(...argv: string[]): El {
  const io = bufferIo();
  const code = reportMain(['--format', 'svg', ...argv], io);
  if (code !== 0) throw new Error(io.err);
  t.match(io.out, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  return parseXml(io.out);
}

const bars = (root: El): El[] => findAll(root, (e) => e.name === 'rect' && e.attrs.class === 'bar');
const texts = (root: El): string[] => findAll(root, (e) => e.name === 'text').map((e) => e.text);

t.test('bars: one bar per reason, labels escaped, a title naming the run and profile', async (t) => {
  const root = svg(a);
  t.equal(root.name, 'svg');
  t.equal(root.attrs.class, 'chart chart-bars');
  t.same(bars(root).map((r) => [r.attrs['data-key'], r.attrs['data-count']]), [['io', '66']]);
  t.ok(texts(root).includes('Exits by reason'));
  t.ok(texts(root).some((s) => s.includes('a <beep> & "co" (profile nehalem-2011, 66 exits)')), 'the label survives escaping');
  t.ok(bars(root).every((r) => Number(r.attrs.height) > 0 && Number(r.attrs.width) > 0));
});

t.test('bars by function, and two runs side by side with a legend', async (t) => {
  t.equal(bars(svg('--by', 'function', a)).length, 3);
  const two = svg('--diff', '--by', 'function', a, b);
  const got = bars(two).map((r) => `${r.attrs['data-key']}/${r.attrs['data-run']}=${r.attrs['data-count']}`);
  t.same(got, ['beep/a <beep> & "co"=40', 'beep/b=20', 'other/a <beep> & "co"=25', 'other/b=25', '_start/a <beep> & "co"=1', '_start/b=1']);
  t.equal(findAll(two, (e) => e.attrs.class === 'legend').length, 1);
  // Heights follow the counts.
  const h = bars(two).map((r) => Number(r.attrs.height));
  t.ok(h[0] > h[2] && h[2] > h[1] * 0.99 && h[1] > h[4]);
});

t.test('many functions fold into an "(other)" bar', async (t) => {
  const an = analyze(loadRun(hello), { by: 'reason-function' });
  const root = parseXml(barsSvg(seriesOf(an)));
  const n = Math.min(an.groups.length, MAX_CATEGORIES);
  t.equal(bars(root).length, n);
  const total = bars(root).reduce((s, r) => s + Number(r.attrs['data-count']), 0);
  t.equal(total, an.exits.length, 'no exit lost in the folding');
});

t.test('cost histogram: log-scale bins whose bars add up to the exits', async (t) => {
  for (const file of [a, hello]) {
    const root = svg('--chart', 'cost', file);
    t.equal(root.attrs.class, 'chart chart-cost');
    const an = analyze(loadRun(file));
    const bins = costBins(seriesOf(an))!;
    t.equal(bars(root).length, bins.counts[0].filter((c) => c > 0).length);
    t.equal(bars(root).reduce((s, r) => s + Number(r.attrs['data-count']), 0), an.exits.length);
    t.ok(texts(root).some((s) => /^\d.*us$/.test(s)), 'decade ticks in us');
  }
  const two = svg('--diff', '--chart', 'cost', a, b);
  t.equal(bars(two).reduce((s, r) => s + Number(r.attrs['data-count']), 0), 66 + 46);
});

t.test('timeline: one line per reason, or one per run', async (t) => {
  const root = svg('--chart', 'timeline', hello);
  const lines = findAll(root, (e) => e.name === 'polyline');
  const reasons = new Set(analyze(loadRun(hello)).exits.map((e) => e.reason));
  t.same(lines.map((l) => l.attrs['data-label']).sort(), [...reasons].sort());
  t.ok(lines.every((l) => l.attrs.points.split(' ').length === TIME_BINS));
  const two = svg('--diff', '--chart', 'timeline', a, b);
  t.equal(findAll(two, (e) => e.name === 'polyline').length, 2);
});

t.test('an empty window draws an empty chart with a message, still well-formed', async (t) => {
  for (const chart of ['bars', 'cost', 'timeline']) {
    const root = svg('--chart', chart, '--from', '100s', a);
    t.equal(bars(root).length, 0);
    t.equal(findAll(root, (e) => e.attrs.class === 'no-data').length, 1, chart);
  }
});

t.test('the XML checker rejects what a browser would', async (t) => {
  for (const bad of ['<svg><g></svg>', '<svg a=1/>', '<svg>a < b</svg>', '<svg>&nbsp;</svg>', '<svg/><svg/>', '<svg a="1" a="2"/>', '<svg>&amp</svg>']) {
    t.throws(() => parseXml(bad), bad);
  }
});
