/**
 * `vamos cc` and `vamos run`, through their main functions (cli/vamos.ts registers them):
 * outputs of each mode, exit codes 0/1/2, diagnostics without stack traces.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ccMain, ccUsage } from '../../cli/cc.js';
import { runMain, runUsage } from '../../cli/run.js';
import { UsageError } from '../../cli/args.js';
import { bufferIo } from '../../cli/io.js';
import { readImage } from '../../toolchain/image/read.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-cc-cli-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** What cli/vamos.ts does with a command's result: usage errors become exit code 2. */
function cli(main: (argv: string[], io: ReturnType<typeof bufferIo>) => number | Promise<number>, argv: string[]) {
  const io = bufferIo();
  let code: number;
  try {
    const r = main(argv, io);
    if (typeof r !== 'number') throw new Error(`${argv.join(' ')}: the command did not finish synchronously`);
    code = r;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`${e.message}\n`);
    code = 2;
  }
  return { code, out: io.out, err: io.err };
}

const hello = file('hello.c', `#include <stdio.h>
#include "greeting.h"
int main(void) {
    printf("%s, %s! %d\\n", GREETING, WHO, ANSWER);
    return 5;
}
`);
file('greeting.h', '#define GREETING "hello"\n');

t.test('cc builds a hosted program and run runs it with main\'s status', async (t) => {
  const img = join(dir, 'hello.img');
  const r = cli(ccMain, [hello, '-o', img, '-DWHO="world"', '-D', 'ANSWER=42', '-O']);
  t.same(r, { code: 0, out: '', err: '' });
  t.ok(readImage(readFileSync(img)).symbols.some((s) => s.name === 'main' && s.kind === 'func'));
  t.same(cli(runMain, [img]), { code: 5, out: 'hello, world! 42\n', err: '' });
  const stats = cli(runMain, ['--stats', img]);
  t.equal(stats.out, 'hello, world! 42\n', '--stats does not touch stdout');
  t.match(stats.err, /guest powered off with exit code 5; \d+ instructions/);
});

t.test('run builds C sources itself', async (t) => {
  const src = file('three.c', 'int main(void) { return 3; }\n');
  t.same(cli(runMain, [src]), { code: 3, out: '', err: '' });
});

t.test('-c writes objects, -S assembly, -E preprocessed C; objects and .s link', async (t) => {
  const lib = file('lib.c', 'static int twice(int x) { return 2 * x; }\nint quad(int x) { return twice(twice(x)); }\n');
  const main = file('main.c', 'int quad(int);\nint answer(void);\nint main(void) { return quad(answer()); }\n');
  const asm = file('answer.s', 'answer:\n mov eax, 10\n ret\n');
  const obj = join(dir, 'lib.o');
  t.equal(cli(ccMain, ['-c', lib, '-o', obj]).code, 0);
  t.match(readFileSync(obj, 'utf8'), /^;! vamos-object 1 unit=u[0-9a-f]{8}\$ source=".*lib.c"\n/);
  const s = join(dir, 'main.s');
  t.equal(cli(ccMain, ['-S', main, '-o', s]).code, 0);
  t.match(readFileSync(s, 'utf8'), /main:/);
  const e = cli(ccMain, ['-E', main]);
  t.equal(e.code, 0);
  t.match(e.out, /^# 1 ".*main.c"\nint quad\(int\);/);
  const img = join(dir, 'multi.img');
  t.equal(cli(ccMain, [obj, s, asm, '-o', img]).code, 0);
  t.equal(cli(runMain, [img]).code, 40);
});

t.test('--stats lists the functions left to the -O0 generator, with the reason', async (t) => {
  const src = file('stats.c', 'struct p { int a, b; };\nvoid copy(struct p *d, struct p *s) { *d = *s; }\nlong long twice(long long x) { return x + x; }\n');
  const r = cli(ccMain, ['--stats', '-S', src, '-o', join(dir, 'stats.s')]);
  t.equal(r.code, 0);
  t.equal(r.err, `vamos cc: ${src}:2: 'copy' compiled at -O0: struct assignment\nvamos cc: -O2: 1 of 2 functions optimized, 1 at -O0\n`);
  t.equal(cli(ccMain, ['-S', src, '-o', join(dir, 'stats.s')]).err, '', 'nothing without --stats');
  t.equal(cli(ccMain, ['--stats=1', src]).code, 2, '--stats takes no value');
});

t.test('freestanding: --no-runtime, --text-base and --entry place a kernel', async (t) => {
  const k = file('kernel.c', `#include <mx86.h>
void kmain(void) {
    const char *s = "kernel\\n";
    while (*s) __mx86_outb(0x3f8, (unsigned char)*s++);
    __mx86_outl(0xf4, 9);
}
`);
  const img = join(dir, 'kernel.img');
  t.same(cli(ccMain, ['--no-runtime', '--text-base', '0x200000', '--entry', 'kmain', k, '-o', img]), { code: 0, out: '', err: '' });
  const image = readImage(readFileSync(img));
  t.equal(image.segments[0]!.vaddr, 0x200000);
  t.equal(image.entry, image.symbols.find((s) => s.name === 'kmain')!.value);
  t.same(cli(runMain, [img]), { code: 9, out: 'kernel\n', err: '' });
});

t.test('a freestanding kernel can use the libc by providing its hooks; --no-libc takes it away', async (t) => {
  const k = file('klibc.c', `#include <mx86.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void __libc_putchar_hook(int c) { __mx86_outb(0x3f8, (unsigned)c); }
void __libc_exit_hook(int status) { __mx86_outl(0xf4, (unsigned)status); }
static char heap[4096];
void kmain(void) {
    char buf[32];
    __libc_heap_init(heap, sizeof heap);
    snprintf(buf, sizeof buf, "%s/%d", "kernel", (int)strlen("four"));
    puts(buf);
    __libc_exit_hook(11);
}
`);
  const img = join(dir, 'klibc.img');
  t.same(cli(ccMain, ['--freestanding', '--entry', 'kmain', k, '-o', img]), { code: 0, out: '', err: '' });
  t.same(cli(runMain, [img]), { code: 11, out: 'kernel/4\n', err: '' });
  const r = cli(ccMain, ['--freestanding', '--no-libc', '--entry', 'kmain', k, '-o', img]);
  t.equal(r.code, 1);
  t.match(r.err, /klibc.c: error: undefined reference to '(snprintf|strlen|puts|__libc_heap_init)' \(in function 'kmain'\)/);
});

t.test('errors: file:line:col with the line and a caret, exit code 1, no stack trace', async (t) => {
  const bad = file('bad.c', 'int main(void) {\n  return undefined_thing;\n}\n');
  const r = cli(ccMain, [bad]);
  t.equal(r.code, 1);
  t.match(r.err, /bad.c:2:\d+: error: .*undefined_thing.*\n  return undefined_thing;\n\s*\^/);
  t.notMatch(r.err, /    at /);
  const pp = file('pp.c', '#include "missing.h"\n');
  t.match(cli(ccMain, [pp]).err, /pp.c:1:10: error: cannot find include file 'missing.h'\n#include "missing.h"\n         \^/);
  const undef = file('undef.c', 'int nowhere(void);\nint main(void) { return nowhere(); }\n');
  const u = cli(ccMain, [undef, '-o', join(dir, 'u.img')]);
  t.equal(u.code, 1);
  t.match(u.err, /undef.c: error: undefined reference to 'nowhere' \(in function 'main'\)/);
  t.match(cli(ccMain, [join(dir, 'absent.c')]), { code: 1, err: /cannot read/ });
  t.equal(cli(runMain, [bad]).code, 1);
});

t.test('usage errors exit with 2', async (t) => {
  t.equal(cli(ccMain, []).code, 2);
  t.equal(cli(ccMain, ['--bogus', hello]).code, 2);
  t.equal(cli(ccMain, ['-c', '-S', hello]).code, 2);
  t.equal(cli(ccMain, ['--text-base', 'zz', hello]).code, 2);
  t.equal(cli(ccMain, ['-o']).code, 2);
  t.equal(cli(runMain, []).code, 2);
  t.equal(cli(runMain, ['--mem', '3']).code, 2);
  t.match(cli(ccMain, ['--help']), { code: 0, out: ccUsage() });
  t.match(cli(runMain, ['--help']), { code: 0, out: runUsage() });
});
