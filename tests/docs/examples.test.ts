/**
 * The docs' examples run as written (issue 15, item 12): every command of README's "What you
 * can do", and the examples of docs/cli.md and docs/report.md, in a scratch directory, through
 * the CLI's entry point (`main`, in this process: fast). Rules (docs/testing.md, "Doc examples"):
 *
 * - a fenced block of lines that start with `vamos ` (no placeholders such as FILE or [options])
 *   is setup: each line runs and must exit 0; `truncate -s SIZE FILE` makes a blank file;
 *   `A && B` runs both;
 * - a fenced block whose first line starts with `$ vamos` is an example: its command runs
 *   (`| tail -N` allowed) and its stdout must be the lines that follow, up to the next `$ `;
 * - `<!-- doc-test: numbers vary -->` on the line before a block: every number (decimal or hex)
 *   matches any number and runs of spaces match any run, and table rows (three numbers or more)
 *   may come in another order or be joined by rows the doc does not quote; so instruction
 *   counts, timings and column widths may change without breaking the test, while the words,
 *   the names in quoted rows and the layout may not; `<!-- doc-test: run only -->`: the command
 *   runs, its output is not compared;
 * - paths under `guest-os/` are the checkout's.
 *
 * README's commands that run until stopped (`bench paper`, `serve`, a `--net udp:` server) run
 * with `--help`, or a `--max-instructions` limit, so that their flags are still checked.
 *
 * VAMOS_DOCS_UPDATE=1 rewrites the quoted outputs from the real ones (then read the diff).
 */
import t from 'tap';
import type { Tap } from '../tap-types.js';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { projectFile } from '../../vmm/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-doc-examples-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
process.chdir(dir);
const UPDATE = process.env.VAMOS_DOCS_UPDATE === '1';

/** Shell-like words: double and single quotes group. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

interface Ran { code: number; out: string; err: string }

/** One command line: `vamos ...`, `npx vamos ...`, `truncate -s SIZE FILE`, joined by `&&`, with `| tail -N`. */
async function sh(line: string): Promise<Ran> {
  let last: Ran = { code: 0, out: '', err: '' };
  for (const part of line.split('&&')) {
    let cmd = part.replace(/\s+#.*$/, '').trim();
    let tail: number | undefined;
    const pipe = /\|\s*tail -(\d+)\s*$/.exec(cmd);
    if (pipe) { tail = Number(pipe[1]); cmd = cmd.slice(0, pipe.index).trim(); }
    const w = words(cmd);
    if (w[0] === 'npx') w.shift();
    if (w[0] === 'truncate' && w[1] === '-s' && w.length === 4) {
      closeSync(openSync(w[3]!, 'a'));
      truncateSync(w[3]!, Number(/^\d+/.exec(w[2]!)![0]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[w[2]!.replace(/^\d+/, '') as '' | 'K' | 'M' | 'G']);
      last = { code: 0, out: '', err: '' };
      continue;
    }
    if (w[0] !== 'vamos') throw new Error(`not a command this test runs: ${cmd}`);
    const argv = w.slice(1).map((a) => (a.startsWith('guest-os/') ? projectFile(a) : a));
    const io = bufferIo();
    const code = await main(argv, io);
    let out = io.out;
    if (tail !== undefined) out = out.replace(/\n$/, '').split('\n').slice(-tail).join('\n') + '\n';
    last = { code, out, err: io.err };
    if (code !== 0) return last;
  }
  return last;
}

const NUMBER = /0x[0-9a-f]+|\d+(?:\.\d+)?/gi;
function normal(line: string, vary: boolean): string {
  const l = line.replace(/\s+$/, '');
  return vary ? l.replace(NUMBER, '#').replace(/\s+/g, ' ').trim() : l;
}

/** A table row: three numbers or more, and not a `# comment` line. */
const isRow = (l: string): boolean => !l.startsWith('#') && (l.match(NUMBER)?.length ?? 0) >= 3;

interface Block { start: number; end: number; lines: string[]; marker: string | undefined }

function blocks(text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```/.test(lines[i]!)) continue;
    const start = i;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j]!)) j++;
    const before = lines.slice(0, start).reverse().find((l) => l.trim() !== '');
    const marker = /^<!-- doc-test: (.+?) -->$/.exec(before ?? '')?.[1];
    out.push({ start, end: j, lines: lines.slice(start + 1, j), marker });
    i = j;
  }
  return out;
}

const PLACEHOLDER = /\[|\]|<|>|\b[A-Z]{2,}\b/;

/** Runs a doc's setup blocks and checks its examples; returns the doc with outputs replaced (update mode). */
async function checkDoc(t: Tap, file: string): Promise<void> {
  const path = projectFile(file);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const edits: { at: number; remove: number; lines: string[] }[] = [];
  for (const b of blocks(text)) {
    const body = b.lines.filter((l) => l.trim() !== '');
    if (body.length === 0) continue;
    if (body[0]!.startsWith('$ ')) {
      // Examples: `$ command` then its output.
      let i = 0;
      while (i < b.lines.length) {
        const cmd = b.lines[i]!.slice(2);
        let j = i + 1;
        while (j < b.lines.length && !b.lines[j]!.startsWith('$ ')) j++;
        const want = b.lines.slice(i + 1, j);
        const r = await sh(cmd);
        t.notOk([1, 2, 70].includes(r.code), `${file}:${b.start + 2 + i}: ${cmd}: ran (exit ${r.code})`, { err: r.err });
        if (b.marker !== 'run only') {
          const got = r.out.replace(/\n$/, '').split('\n').map((l) => l.replace(/\r$/, ''));
          const vary = b.marker === 'numbers vary';
          if (UPDATE) {
            edits.push({ at: b.start + 2 + i, remove: want.length, lines: got });
          } else {
            const where = `${file}:${b.start + 2 + i}: ${cmd}`;
            if (!vary) {
              t.same(got.map((l) => normal(l, false)), want.map((l) => normal(l, false)), `${where}: the quoted output`);
            } else {
              // Table rows (a line with three numbers or more) may change order, and rows the doc
              // does not quote may appear, as counts move; every quoted row must still be there.
              const split = (ls: string[]): { rows: string[]; rest: string[] } => ({
                rows: ls.filter(isRow).map((l) => normal(l, true)),
                rest: ls.filter((l) => !isRow(l)).map((l) => normal(l, true)),
              });
              const g = split(got);
              const w = split(want);
              t.same(g.rest, w.rest, `${where}: the quoted output, apart from table rows`);
              const left = [...g.rows];
              const missing = w.rows.filter((row) => {
                const k = left.indexOf(row);
                if (k >= 0) left.splice(k, 1);
                return k < 0;
              });
              t.same(missing, [], `${where}: every quoted table row`);
            }
          }
        }
        i = j;
      }
      continue;
    }
    if (body.every((l) => /^(vamos|truncate) /.test(l)) && !body.some((l) => PLACEHOLDER.test(l.replace(/"[^"]*"/g, '')))) {
      for (const l of body) {
        const r = await sh(l);
        t.equal(r.code, 0, `${file}: ${l}`, { err: r.err });
      }
    }
  }
  if (UPDATE) {
    // From the bottom up, so that each edit's line numbers still hold.
    for (const e of edits.reverse()) lines.splice(e.at, e.remove, ...e.lines);
    writeFileSync(path, lines.join('\n'));
  }
}

t.test("README: What you can do", async (t) => {
  const readme = readFileSync(projectFile('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What you can do'));
  const block = blocks(section)[0]!;
  // The minimal guest further down is hello.s; prog.c is any C program.
  const asm = blocks(section).find((b) => b.lines.some((l) => l.includes('_start:')))!;
  writeFileSync('hello.s', asm.lines.join('\n') + '\n');
  writeFileSync('prog.c', '#include <stdio.h>\nint main(void) { printf("hello from C\\n"); return 3; }\n');
  // sum.mjs is any module (docs/modules.md's tutorial has the real one).
  writeFileSync('sum.mjs', "export function createModule(env) { return { name: env.name, kind: 'ts', call: () => ({ status: 0, cycles: 0 }) }; }\n");
  const scripts = (JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  let ran = 0;
  for (const raw of block.lines) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '') continue;
    const npm = /^npm run (\S+)$/.exec(line);
    if (npm) { t.ok(scripts[npm[1]!], `${line}: package.json has the script`); continue; }
    let cmd = line;
    let want = 0;
    if (/ (bench (paper|sensitivity)|serve)\b/.test(cmd)) cmd += ' --help'; // runs for minutes, or until Ctrl-C
    if (/--net udp:/.test(cmd)) { cmd = cmd.replace(/udp:\d+/, `udp:${20000 + (process.pid % 20000)}`) + ' --max-instructions 3M'; want = 124; }
    const r = await sh(cmd);
    const expected = line.startsWith('npx vamos run ') ? 3 : want; // prog.c returns 3
    t.equal(r.code, expected, `${line}`, { err: r.err.split('\n').slice(0, 3).join('\n') });
    ran++;
  }
  t.ok(ran >= 14, `${ran} commands ran`);
});

t.test('docs/cli.md examples', async (t) => { await checkDoc(t, 'docs/cli.md'); });
t.test('docs/report.md examples', async (t) => { await checkDoc(t, 'docs/report.md'); });
