import t from 'tap';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preprocess, PpError } from '../../toolchain/cc/preprocess.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-pp-'));

/** Files in a virtual tree, so include tests need no disk. */
function vfs(files: Record<string, string>): (p: string) => string | undefined {
  return (p) => files[p];
}

const pp = (src: string, files: Record<string, string> = {}, extra = {}): string =>
  preprocess(src, { file: 'main.c', readFile: vfs(files), systemDirs: ['sys'], ...extra });

/** The text without linemarkers and blank lines, one space between tokens at most. */
function body(out: string): string {
  return out.split('\n').filter((l) => !/^# \d+ "/.test(l) && l.trim() !== '').map((l) => l.trim().replace(/\s+/g, ' ')).join('\n');
}

function errorOf(f: () => unknown): PpError {
  try {
    f();
  } catch (e) {
    if (e instanceof PpError) return e;
    throw e;
  }
  throw new Error('expected a PpError');
}

t.test('object-like, function-like, # and ## and __VA_ARGS__', async (t) => {
  t.equal(body(pp('#define N 4\nint a[N];')), 'int a[4];');
  t.equal(body(pp('#define SQ(x) ((x)*(x))\nSQ(a+1)')), '((a+1)*(a+1))');
  t.equal(body(pp('#define S(x) #x\nS( a  +  "b\\n" )')), '"a + \\"b\\\\n\\""');
  t.equal(body(pp('#define C(a,b) a##b\nC(foo,bar) C(1,2) C(,x) C(y,)')), 'foobar 12 x y');
  t.equal(body(pp('#define P(f, ...) printf(f, __VA_ARGS__)\nP("%d %d", 1, 2)')), 'printf("%d %d", 1, 2)');
  t.equal(body(pp('#define P(f, ...) printf(f, ##__VA_ARGS__)\nP("x") P("y", 1)')), 'printf("x") printf("y", 1)');
  t.equal(body(pp('#define f(a) a + f(a)\nf(f(1))')), '1 + f(1) + f(1 + f(1))');
  t.equal(body(pp('#define EMPTY\n#define F() 7\nEMPTY F() F( )')), '7 7');
  t.equal(body(pp('#define F(x) [x]\n#define G F\nG(1) F (2) F')), '[1] [2] F');
});

t.test('a macro call may span lines', async (t) => {
  const out = pp('#define ADD(a, b) (a + b)\nint x = ADD(1,\n  2);\nint y;');
  t.equal(body(out), 'int x = (1 + 2);\nint y;');
  t.match(out, /int x = \(1 \+ 2\);\n\nint y;/, 'the line after keeps its number');
});

t.test('conditionals with defined and integer expressions', async (t) => {
  const src = `#define A 3
#if defined(A) && A * 2 == 6 && !defined B
yes1
#endif
#if (-1 < 0u) && 1 / 0
no
#elif 0x10 == 16 && '\\377' < 0 && (1 ? 2 : 1 / 0) == 2 && (1 << 40) > 0
yes2
#else
no
#endif
#ifdef A
yes3
#else
no
#endif
#ifndef A
no
#elif A == 3
yes4
#endif
#if 0
#error not reached
#unknown directive is fine here
#endif
#if 18446744073709551615u == -1 && -9223372036854775807 - 1 < 0
yes5
#endif`;
  t.equal(body(pp(src)), 'yes1\nyes2\nyes3\nyes4\nyes5');
});

t.test('#undef, -D, -U, predefined macros, __FILE__ and __LINE__', async (t) => {
  t.equal(body(pp('#define X 1\n#undef X\nX')), 'X');
  t.equal(body(pp('A B C(3)', {}, { defines: ['A', 'B=2', 'C(x)=x*x'] })), '1 2 3*3');
  t.equal(body(pp('__mx86__', {}, { undefines: ['__mx86__'] })), '__mx86__');
  t.equal(body(pp('__mx86__ __vamos__ __STDC__ __STDC_VERSION__')), '1 1 1 199901L');
  t.equal(body(pp('a\n__FILE__ __LINE__')), 'a\n"main.c" 2');
});

t.test('comments and line splices', async (t) => {
  t.equal(body(pp('int a; // x \\\n still comment\nint /* in */ b;/* multi\nline */int c;')), 'int a;\nint b; int c;');
  t.equal(body(pp('#define LONG 1 + \\\n 2\nLONG')), '1 + 2');
  t.equal(body(pp('"// not a comment" \'/*\'')), '"// not a comment" \'/*\'');
});

t.test('includes: quotes, angles, -I, system dirs, guards, #pragma once, linemarkers', async (t) => {
  const files = {
    'a.h': '#pragma once\nint a;\n',
    'inc/b.h': '#ifndef B_H\n#define B_H\nint b;\n#endif\n',
    'sys/c.h': 'int c;\n',
  };
  const out = pp('#include "a.h"\n#include "a.h"\n#include <b.h>\n#include "b.h"\n#include <c.h>\n#define HDR "a.h"\n#include HDR\nint end;', files, { includeDirs: ['inc'] });
  t.equal(body(out), 'int a;\nint b;\nint c;\nint end;');
  t.match(out, /^# 2 "a.h"\nint a;\n# 3 "inc\/b.h"\nint b;\n# 1 "sys\/c.h"\nint c;\n/);
  t.match(out, /# 8 "main.c"\nint end;/);
});

t.test('errors: file:line:col, the line and a caret; many per run; never an exception of another kind', async (t) => {
  const e = errorOf(() => pp('int x;\n#if 1 +\n#endif\n  #error stop here\n#include "nope.h"\n#define F(a) a\nF(1, 2)\n#bogus'));
  const msgs = e.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
  t.same(msgs, [
    '2:8: #if expression ends too early',
    "4:4: #error stop here",
    "5:10: cannot find include file 'nope.h'",
    "7:1: macro 'F' takes 1 argument, but 2 given",
    "8:2: unknown directive '#bogus'",
  ]);
  t.equal(e.message.split('\n').slice(0, 3).join('\n'), 'main.c:2:8: error: #if expression ends too early\n#if 1 +\n       ^');
  t.match(errorOf(() => pp('#if 1\nx')).message, /main.c:1:1: error: unterminated conditional/);
  t.match(errorOf(() => pp('#else')).message, /#else without #if/);
  t.match(errorOf(() => pp('/* open')).message, /unterminated comment/);
  t.match(errorOf(() => pp('#if 1 / 0\n#endif')).message, /division by zero/);
  t.match(errorOf(() => pp('#define A 1\n#define A 2')).message, /'A' redefined differently/);
  t.match(errorOf(() => pp('#define C(a,b) a##b\nC(+,/)')).message, /pasting "\+" and "\/"/);
  t.match(errorOf(() => pp('"abc')).message, /missing terminating "/);
});

t.test('include cycles and depth are errors that show the chain', async (t) => {
  const e = errorOf(() => pp('#include "x.h"', { 'x.h': '#include "y.h"\n', 'y.h': '#include "x.h"\n' }));
  t.match(e.message, /nested more than 64 deep \(include cycle: x\.h -> y\.h -> x\.h\)/);
  t.ok(e.diagnostics.length <= 21);
});

t.test('macros that recurse do not hang', async (t) => {
  t.equal(body(pp('#define a a b\n#define b a\na')), 'a a');
  t.match(errorOf(() => pp('#define D(x) x x x x x x x x\n#define E D(D(D(D(D(D(D(1)))))))\nE E E')).message, /expands without end/);
});

const gccOk = (() => { try { execFileSync('gcc', ['--version']); return true; } catch { return false; } })();

t.test('agrees with gcc -E on a tricky file (token by token)', { skip: !gccOk && 'gcc not found' }, async (t) => {
  mkdirSync(join(dir, 'd'), { recursive: true });
  writeFileSync(join(dir, 'd', 'h.h'), '#define FROM_H(x) h_##x\n');
  const src = `#include "d/h.h"
#define str(s) # s
#define xstr(s) str(s)
#define debug(s, t) printf("x" # s "= %d, x" # t "= %s", x ## s, x ## t)
#define INCFILE(n) vers ## n
#define glue(a, b) a ## b
#define xglue(a, b) glue(a, b)
#define HIGHLOW "hello"
#define LOW LOW ", world"
debug(1, 2);
fputs(str(strncmp("abc\\0d", "abc", '\\4') == 0) str(: @\\n), s);
xstr(INCFILE(2).h)
glue(HIGH, LOW);
xglue(HIGH, LOW)
#define t(x,y,z) x ## y ## z
int j[] = { t(1,2,3), t(,4,5), t(6,,7), t(8,9,),
 t(10,,), t(,11,), t(,,12), t(,,) };
#define OBJ_LIKE (1-1)
#define F(...) f(0 __VA_OPT_NOT__ __VA_ARGS__)
#define showlist(...) puts(#__VA_ARGS__)
#define report(test, ...) ((test)?puts(#test): printf(__VA_ARGS__))
showlist(The first, second, and third items.);
report(x>y, "x is %d but y is %d", x, y);
FROM_H(z) __LINE__
#if defined FROM_H && (OBJ_LIKE + 2) * 3 == 6
ok
#endif
`;
  writeFileSync(join(dir, 'tricky.c'), src);
  const ours = preprocess(src, { file: join(dir, 'tricky.c'), systemDirs: [] });
  const theirs = execFileSync('gcc', ['-E', '-P', '-std=c99', join(dir, 'tricky.c')], { encoding: 'utf8' });
  const toks = (s: string): string => body(s).replace(/\s+/g, '');
  t.equal(toks(ours), toks(theirs));
});

t.test('any input gives text or a PpError, never another exception', async (t) => {
  const pieces = ['#define ', '#undef ', '#if ', '#ifdef ', '#elif ', '#else', '#endif', '#include ', '#error x', '#line ',
    'A', 'B(x)', 'x', '(', ')', ',', '...', '__VA_ARGS__', '#', '##', ' ', '\n', '\\\n', '"s', '"', "'", '/*', '*/', '//',
    '1', '0x', '/', '%', '-', '<', '>', 'defined', '&&', '?', ':', '<a.h>', '"a.h"', '__LINE__', '__FILE__'];
  const files = { 'a.h': '#include "a.h"\n', 'sys/a.h': 'A B\n' };
  fc.assert(fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), (parts) => {
    try {
      const out = pp(parts.join(''), files);
      return typeof out === 'string';
    } catch (e) {
      return e instanceof PpError && e.diagnostics.length > 0 && e.diagnostics.every((d) => typeof d.message === 'string');
    }
  }), { numRuns: 500 });
  t.pass();
});

t.test('the expansion budget is per line: a long file of macro uses is fine', async (t) => {
  const src = '#define PAIR(a, b) { a, b, a + b, a * b }\n' + 'int v[] = PAIR(1, 2);\n'.repeat(100_000);
  t.equal(body(pp(src)).split('\n').length, 100_000);
});

t.test('a header edited, replaced or removed between units is read again (the per-process header cache)', async (t) => {
  const d = join(dir, 'cache');
  mkdirSync(d, { recursive: true });
  const h = join(d, 'v.h');
  const unit = (): string => body(preprocess('#include "v.h"\nV\n', { file: join(d, 'main.c') }));
  writeFileSync(h, '#define V 1\n');
  t.equal(unit(), '1');
  // Kept only once the file has not changed for a second (preprocess-env.ts).
  await new Promise((r) => setTimeout(r, 1100));
  t.equal(unit(), '1', 'unchanged: the same text');
  writeFileSync(h, '#define V 2\n'); // the same size, rewritten in place at once
  t.equal(unit(), '2', 'edited in place');
  await new Promise((r) => setTimeout(r, 1100));
  t.equal(unit(), '2');
  writeFileSync(join(d, 'w.h'), '#define V 33\n');
  renameSync(join(d, 'w.h'), h);
  t.equal(unit(), '33', 'replaced by another file');
  rmSync(h);
  t.throws(unit, /cannot find include file 'v.h'/, 'removed');
});
