/**
 * The libc headers are C99 that gcc accepts: every corpus program compiles against them with
 * gcc -std=c99 -Wall -Werror -nostdinc, and so does the libc itself (freestanding, -Wextra).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectFile } from '../../vmm/paths.js';

const include = projectFile('guest-os', 'libc', 'include');
const corpus = projectFile('tests', 'cc', 'corpus');
const gccOk = spawnSync('gcc', ['--version']).status === 0;

function gcc(args: string[]): { status: number | null; err: string } {
  const r = spawnSync('gcc', ['-std=c99', '-Wall', '-Werror', '-fsyntax-only', '-nostdinc', '-I', include, ...args], { encoding: 'utf8' });
  return { status: r.status, err: r.stderr };
}

t.test('every corpus program compiles against the project headers', { skip: !gccOk && 'gcc not found' }, async (t) => {
  const files = readdirSync(corpus).filter((f) => f.endsWith('.c')).map((f) => join(corpus, f));
  const r = gcc(files);
  t.equal(r.status, 0, r.err);
});

t.test('the libc compiles cleanly with gcc too', { skip: !gccOk && 'gcc not found' }, async (t) => {
  const src = projectFile('guest-os', 'libc', 'src');
  const files = readdirSync(src).filter((f) => f.endsWith('.c')).map((f) => join(src, f));
  const r = gcc(['-Wextra', '-ffreestanding', ...files]);
  t.equal(r.status, 0, r.err);
});

t.test('each header stands alone', { skip: !gccOk && 'gcc not found' }, async (t) => {
  for (const h of readdirSync(include).filter((f) => f.endsWith('.h'))) {
    const r = spawnSync('gcc', ['-std=c99', '-Wall', '-Werror', '-fsyntax-only', '-nostdinc', '-I', include, '-x', 'c', '-'], {
      input: `#include <${h}>\n#include <${h}>\nint main(void) { return 0; }\n`, encoding: 'utf8',
    });
    t.equal(r.status, 0, `${h}: ${r.stderr}`);
  }
});
