/**
 * The corpus (tests/cc/corpus/*.c) compiled by gcc and run natively, and compiled by vamos cc
 * and run under vamos at -O0, -O1 and -O2: the same output and the same exit status, program by
 * program.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootRom } from '../../firmware/build.js';
import { build } from '../../toolchain/cc/driver.js';
import { Vm } from '../../vmm/vm.js';
import { projectFile } from '../../vmm/paths.js';

const corpus = projectFile('tests', 'cc', 'corpus');
const dir = mkdtempSync(join(tmpdir(), 'vamos-diff-'));
const gccOk = spawnSync('gcc', ['--version']).status === 0;

function native(file: string): { out: string; status: number } {
  const exe = join(dir, file.replace(/\.c$/, ''));
  execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-O1', '-o', exe, join(corpus, file)], { stdio: 'pipe' });
  const r = spawnSync(exe, [], { encoding: 'latin1' });
  return { out: r.stdout, status: r.status ?? -1 };
}

function vamos(file: string, opt: number): { out: string; status: number } {
  const path = join(corpus, file);
  const { image } = build([{ path, text: readFileSync(path, 'utf8') }], { opt });
  let out = '';
  const vm = new Vm({ kernel: image, firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); }, maxInstructions: 500_000_000 });
  const r = vm.run();
  return { out, status: r.stop === 'poweroff' ? r.exitCode & 0xff : -1 };
}

const files = readdirSync(corpus).filter((f) => f.endsWith('.c')).sort();

t.test('the corpus is not empty', async (t) => {
  t.ok(files.length >= 15, `${files.length} programs`);
});

for (const file of files) {
  t.test(file, { skip: !gccOk && 'gcc not found' }, async (t) => {
    const want = native(file);
    // The program and the libc both at each level (the libc cache keys on the level).
    for (const opt of [0, 1, 2]) {
      const got = vamos(file, opt);
      t.equal(got.out, want.out, `same output at -O${opt}`);
      t.equal(got.status, want.status, `same exit status at -O${opt}`);
    }
  });
}
