/**
 * The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core.
 * The charts must be drawn (SVG with a size, the expected number of bars) and the page must
 * ask for nothing beyond itself. Skips, saying why, where chromium or playwright-core is absent.
 */
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderDiffHtml, renderHtml } from '../../vmm/report/html.js';
import { analyze } from '../../vmm/report/analyze.js';
import { diffRuns } from '../../vmm/report/diff.js';
import { loadRun } from '../../vmm/report/load.js';
import { seriesOf } from '../../vmm/report/series.js';
import { costBins } from '../../vmm/report/svg-cost.js';
import { defaultGuest } from '../../guest-os/build.js';
import { beepGuest, bootTraced, dir } from './guest.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run'];

// Typed loosely on purpose: playwright-core is an optional, CI-installed dependency.
interface Page {
  on(event: 'request', f: (r: { url(): string }) => void): void;
  on(event: 'console', f: (m: { type(): string; text(): string }) => void): void;
  goto(url: string, opts: { waitUntil: string }): Promise<unknown>;
  evaluate<T>(f: () => T): Promise<T>;
}
interface Browser { newPage(): Promise<Page>; close(): Promise<void> }
interface Chromium { launch(o: { executablePath: string; args: string[]; headless: boolean; chromiumSandbox: boolean }): Promise<Browser> }

async function loadPlaywright(): Promise<Chromium | string> {
  if (!existsSync(CHROMIUM)) return `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  try {
    const name = 'playwright-core';
    const pw = (await import(name)) as { chromium: Chromium };
    return pw.chromium;
  } catch {
    return 'playwright-core is not installed (npm install --no-save playwright-core)';
  }
}

interface Drawn {
  charts: { id: string; width: number; height: number; bars: number; drawnBars: number; lines: number }[];
  tableRows: number;
}

async function open(browser: Browser, html: string, name: string): Promise<{ drawn: Drawn; requests: string[]; errors: string[]; url: string }> {
  const file = join(dir, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url, { waitUntil: 'load' });
  const drawn = await page.evaluate(() => ({
    charts: Array.from(document.querySelectorAll('figure')).map((f) => {
      const svg = f.querySelector('svg')!;
      const box = svg.getBoundingClientRect();
      const bars = Array.from(svg.querySelectorAll('rect.bar'));
      return {
        id: f.id, width: box.width, height: box.height, bars: bars.length,
        drawnBars: bars.filter((b) => { const r = b.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length,
        lines: Array.from(svg.querySelectorAll('polyline')).filter((p) => (p as SVGPolylineElement).getBBox().width > 0).length,
      };
    }),
    tableRows: document.querySelectorAll('table tbody tr').length,
  }));
  return { drawn, requests, errors, url };
}

const chromium = await loadPlaywright();
const skip = typeof chromium === 'string' ? `skipping the browser test: ${chromium}` : false;

t.test('the HTML report in headless chromium', { skip }, async (t) => {
  if (typeof chromium === 'string') return;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, chromiumSandbox: false });
  t.teardown(() => browser.close());

  const beep = loadRun(bootTraced(beepGuest(40, 25), { label: 'beep' }).path);
  const hello = loadRun(bootTraced(defaultGuest(), { label: 'hello' }).path);

  await t.test('one run: three charts drawn, bars as expected, nothing fetched', async (t) => {
    const an = analyze(hello);
    const { drawn, requests, errors, url } = await open(browser, renderHtml(an), 'one.html');
    t.same(drawn.charts.map((c) => c.id), ['bars', 'cost', 'timeline']);
    for (const c of drawn.charts) t.ok(c.width > 100 && c.height > 100, `${c.id} has a size (${c.width}x${c.height})`);
    const [bars, cost, timeline] = drawn.charts;
    t.equal(bars.bars, an.groups.length, 'one bar per reason');
    t.equal(bars.drawnBars, bars.bars, 'every bar is visible');
    t.equal(cost.bars, costBins(seriesOf(an))!.counts[0].filter((n) => n > 0).length, 'one bar per non-empty cost bin');
    t.equal(cost.drawnBars, cost.bars);
    t.equal(timeline.lines, new Set(an.exits.map((e) => e.reason)).size, 'one line per reason');
    t.equal(drawn.tableRows, an.groups.length + 1 + an.sites.length, 'the table, its total and the sites');
    t.same(requests, [url], 'the page requested nothing but itself');
    t.same(errors, [], 'no console errors (a blocked resource would show here)');
  });

  await t.test('two runs side by side', async (t) => {
    const d = diffRuns(beep, hello, { by: 'reason' });
    const { drawn, requests, url } = await open(browser, renderDiffHtml(d), 'diff.html');
    const [bars, , timeline] = drawn.charts;
    const expected = d.rows.reduce((n, r) => n + (r.a ? 1 : 0) + (r.b ? 1 : 0), 0);
    t.equal(bars.bars, expected, 'a bar for each run in each group it has');
    t.equal(bars.drawnBars, expected);
    t.equal(timeline.lines, 2, 'one line per run');
    t.same(requests, [url], 'nothing fetched');
  });
});
