/**
 * docs/modules.md's tutorial, run as written: its files are written to an empty folder, each
 * `$ vamos ...` line is run there, and every output line quoted under a command must appear in
 * that command's output (stdout and stderr), so the tutorial cannot drift from the tool.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { projectFile } from '../../vmm/paths.js';

const doc = readFileSync(projectFile('docs', 'modules.md'), 'utf8');
const tutorial = doc.slice(doc.indexOf('## Tutorial'), doc.indexOf('## Reference'));
const blocks = [...tutorial.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));

const files = blocks.flatMap((b) => {
  const name = /^(?:\/\/|\/\*) file: (\S+)/.exec(b.text)?.[1];
  return name === undefined ? [] : [{ name, text: b.text }];
});
const steps = blocks.filter((b) => b.lang === 'sh').flatMap((b) => {
  const out: { argv: string[]; expect: string[] }[] = [];
  for (const line of b.text.split('\n').filter((l) => l !== '')) {
    if (line.startsWith('$ vamos ')) out.push({ argv: line.slice('$ vamos '.length).split(/\s+/), expect: [] });
    else out.at(-1)?.expect.push(line);
  }
  return out;
});

t.test('the tutorial has its files and commands', async (t) => {
  t.same(files.map((f) => f.name).sort(), ['prog.c', 'sum.mjs', 'summod.c']);
  t.ok(steps.length >= 8, `${steps.length} commands`);
});

t.test('every command of the tutorial gives the output it quotes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-tutorial-'));
  for (const f of files) writeFileSync(join(dir, f.name), f.text);
  process.chdir(dir);
  for (const step of steps) {
    const io = bufferIo();
    const code = await main(step.argv, io);
    const output = io.out + io.err;
    t.notMatch(output, /internal error|^\s+at /m, `vamos ${step.argv.join(' ')}: no internal error`);
    t.ok(code === 0 || step.expect.some((e) => /: no such module/.test(e)), `vamos ${step.argv.join(' ')} exits ${code}: ${io.err}`);
    for (const line of step.expect) t.ok(output.includes(line), `vamos ${step.argv.join(' ')} prints '${line}'\n${output}`);
  }
});
