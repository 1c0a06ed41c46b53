/**
 * Diagnostics of the C compiler: the `file:line:col: error:` format with the source line and a
 * caret, linemarkers, unsupported features, and a fuzz test: no input makes a TypeScript
 * exception (other than CcError) escape, and nothing it accepts fails to assemble.
 */
import t from 'tap';
import fc from 'fast-check';
import { compile, CcError, formatCcDiagnostic, type CcDiagnostic } from '../../toolchain/cc/compile.js';
import { assemble } from '../../toolchain/as/assemble.js';

function diag(src: string, file = 't.c'): CcDiagnostic {
  try {
    compile(src, { file });
  } catch (e) {
    if (e instanceof CcError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error('no error');
}

t.test('format: file:line:col, the source line and a caret under the column', async (t) => {
  const d = diag('int main(void) {\n    return x + 1;\n}\n');
  t.match(d, { file: 't.c', line: 2, col: 12, message: "'x' undeclared", sourceLine: '    return x + 1;' });
  t.equal(formatCcDiagnostic(d), "t.c:2:12: error: 'x' undeclared\n    return x + 1;\n           ^");
  try { compile('int f(void) { return y; }', { file: 'u.c' }); } catch (e) {
    t.ok(e instanceof CcError);
    t.equal((e as CcError).message, formatCcDiagnostic((e as CcError).diagnostics[0]!));
  }
});

t.test('the caret keeps tabs so it lines up', async (t) => {
  const d = diag('int main(void) {\n\t\treturn q;\n}\n');
  t.equal(formatCcDiagnostic(d).split('\n')[2], '\t\t       ^');
});

t.test('linemarkers move the reported file and line', async (t) => {
  const src = '# 1 "main.c"\nint a;\n# 40 "inc/defs.h" 1\nint b;\nint c = ;\n# 3 "main.c" 2\nint d;\n';
  const d = diag(src);
  t.match(d, { file: 'inc/defs.h', line: 41, col: 9 });
  const d2 = diag('# 1 "m.c"\nint a;\n# 7 "m.c"\nint main(void) { return nope; }\n');
  t.match(d2, { file: 'm.c', line: 7, col: 25 });
  t.doesNotThrow(() => compile('#pragma once\n# 1 "<built-in>"\nint x;\n', { file: 'p.c' }));
});

const ERRORS: [string, RegExp][] = [
  ['int main(void) { float f; return 0; }', /floating-point types are not supported/],
  ['int main(void) { return 1.5; }', /floating-point constants are not supported/],
  ['int main(void) { int a; a = ; }', /expected an expression before ';'/],
  ['int main(void) { return 0 }', /expected ';'/],
  ['struct S { int a; }; int f(struct S s) { return s.b; }', /has no member named 'b'/],
  ['int f(int a, int b); int main(void) { return f(1); }', /too few arguments/],
  ['int main(void) { int *p; int x = 1; p = x; return 0; }', /pointer from an integer/],
  ['int main(void) { break; }', /not within a loop or switch/],
  ['int main(void) { goto nowhere; }', /label 'nowhere' used but not defined/],
  ['int main(void) { return undefined_fn(1); }', /implicit declaration of function 'undefined_fn'/],
  ['int x; int x = 1; int x = 2;', /redefinition of 'x'/],
  ['int f(void) { return 1; } int f(void) { return 2; }', /redefinition of 'f'/],
  ['int main(void) { int a[n]; }', /'n' undeclared/],
  ['int g(int n) { int a[n]; return 0; }', /variable-length arrays are not supported/],
  ['struct T; struct T t;', /storage size of 't' isn't known/],
  ['int main(void) { "abc; }', /missing terminating " character/],
  ['int main(void) { return 1 @ 2; }', /stray '@'/],
  ['int main(void) { switch (1) { case 1: case 1: break; } return 0; }', /duplicate case value/],
  ['struct B { int x : 33; };', /bit-field width exceeds its type/],
  ['struct B { long long x : 3; };', /bit-field has invalid type/],
  ['struct B { int x : 3; }; int *f(struct B *b) { return &b->x; }', /address of a bit-field/],
  ['int f(void) { int big __attribute__((aligned(16))); return 0; }', /alignment 16 for a local variable is not supported/],
  ['int main(void) { asm("nop"); }', /inline assembly is not supported/],
  ['int main(void) { int x; x(); }', /called object is not a function/],
  ['int main(void) { 3 = 4; }', /lvalue required/],
  ['int eax;', /names a register/],
  ['#define X 1\nint x;', /must be preprocessed/],
  ['int main(void) { int i = 09; }', /invalid digit in octal constant/],
  ['int main(void) { void *p = 0; return *p; }', /dereferencing a 'void \*' pointer/],
];

t.test('error messages for bad and unsupported programs', async (t) => {
  for (const [src, re] of ERRORS) {
    const d = diag(src);
    t.match(d.message, re, src);
    t.ok(d.line >= 1 && d.col >= 1, `has a position: ${src}`);
  }
});

t.test('a compile error is a CcError and never a TypeScript exception, whatever the input', async (t) => {
  const words = ['int', 'char', 'long', 'unsigned', 'struct', 'union', 'enum', 'typedef', 'static', 'void', '{', '}', '(', ')',
    '[', ']', ';', ',', '*', '&', '+', '-', '/', '%', '=', '==', '<<', '>>=', '++', '--', '!', '~', '?', ':', '.', '->',
    '...', 'x', 'y', 'f', 'main', 'return', 'if', 'else', 'while', 'for', 'do', 'switch', 'case', 'default', 'break',
    'continue', 'goto', 'sizeof', '0', '1', '42', "'c'", '"s"', '__builtin_va_arg', '__mx86_outb', '\n# 3 "z.c"\n'];
  const soup = fc.array(fc.constantFrom(...words), { maxLength: 80 }).map((w) => w.join(' '));
  const valid = 'struct s { int a; char b[3]; }; typedef int T; static int g = 3;\n' +
    'int f(int x, ...) { T y = x * 2; struct s v = { 1, "ab" }; if (y > g) return v.a + y; while (x--) y += x; return y; }\n' +
    'int main(void) { long long q = 5; int a[3] = { 1, 2 }; switch (a[1]) { case 2: q <<= 3; break; default: q = -q; } return f(a[0] + (int)q, 1); }\n';
  const mutated = fc.tuple(fc.nat(valid.length), fc.nat(valid.length), fc.constantFrom(...words, '')).map(([i, j, w]) =>
    valid.slice(0, Math.min(i, j)) + w + valid.slice(Math.max(i, j)));
  fc.assert(fc.property(fc.oneof(soup, mutated, fc.string({ maxLength: 60 })), (src) => {
    let asm: string;
    try {
      asm = compile(src, { file: 'fuzz.c' });
    } catch (e) {
      if (!(e instanceof CcError)) return false;
      return !/internal compiler error/.test(e.message) && e.diagnostics.length > 0;
    }
    try {
      assemble(`_start: jmp _start\n${asm}`, { file: 'fuzz.s' });
    } catch (e) {
      // A function declared and called but never defined is the linker's business.
      return e instanceof Error && /undefined symbol/.test(e.message) && !/undefined symbol '_L0_/.test(e.message);
    }
    return true;
  }), { numRuns: 1500 });
});

t.test('absurd nesting is a diagnostic, not a crash', async (t) => {
  const d = diag(`int main(void) { return ${'('.repeat(20000)}1${')'.repeat(20000)}; }`);
  t.match(d.message, /nested too deeply|internal/);
  t.ok(formatCcDiagnostic(d).startsWith('t.c:'));
});
