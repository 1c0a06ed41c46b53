/**
 * Random well-defined C expressions and statement sequences, compiled by vamos and by gcc: both must print
 * the same values. The generator avoids undefined behaviour by construction: signed additions
 * and products only on values narrowed to short (they cannot overflow), unsigned arithmetic
 * everywhere else, guarded divisions and masked shift counts.
 */
import t from 'tap';
import fc from 'fast-check';
import { hasGcc, native, OPT_LEVELS, PRINT, runC } from './compiler-harness.js';

type Ty = 'u32' | 'i32' | 'u64' | 'i64';
interface E { code: string; ty: Ty }

const VARS: Record<Ty, string[]> = { u32: ['a', 'e'], i32: ['b', 'f'], u64: ['c'], i64: ['d'] };
const CT: Record<Ty, string> = { u32: 'unsigned', i32: 'int', u64: 'unsigned long long', i64: 'long long' };

function leaf(ty: Ty): fc.Arbitrary<E> {
  const consts: fc.Arbitrary<string> = ty === 'u32' ? fc.integer({ min: 0, max: 0xffffffff }).map((v) => `${v}u`)
    : ty === 'i32' ? fc.integer({ min: -1000, max: 1000 }).map((v) => (v < 0 ? `(${v})` : `${v}`))
      : ty === 'u64' ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `${v}ull`)
        : fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }).map((v) => (v < 0n ? `(${v}ll)` : `${v}ll`));
  return fc.oneof(fc.constantFrom(...VARS[ty]), consts).map((code) => ({ code, ty }));
}

const tie = fc.letrec<Record<Ty, E>>((rec) => {
  const any = (): fc.Arbitrary<E> => fc.oneof(rec('u32'), rec('i32'), rec('u64'), rec('i64'));
  const as = (ty: Ty, x: fc.Arbitrary<E>): fc.Arbitrary<string> => x.map((e) => `((${CT[ty]})${e.code})`);
  const short = (x: fc.Arbitrary<E>): fc.Arbitrary<string> => x.map((e) => `((int)(short)${e.code})`);
  const mk = (ty: Ty, arb: fc.Arbitrary<string>): fc.Arbitrary<E> => arb.map((code) => ({ code, ty }));
  const unsignedOps = (ty: 'u32' | 'u64'): fc.Arbitrary<E> => {
    const bits = ty === 'u32' ? 31 : 63;
    const x = as(ty, any()), y = as(ty, any());
    return fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf(ty),
      mk(ty, fc.tuple(x, fc.constantFrom('+', '-', '*', '&', '|', '^'), y).map(([p, o, q]) => `(${p} ${o} ${q})`)),
      mk(ty, fc.tuple(x, fc.constantFrom('/', '%'), y).map(([p, o, q]) => `(${q} ? ${p} ${o} ${q} : ${p})`)),
      mk(ty, fc.tuple(x, fc.constantFrom('<<', '>>'), y).map(([p, o, q]) => `(${p} ${o} (${q} & ${bits}))`)),
      mk(ty, x.map((p) => `(~${p})`)),
      mk(ty, x.map((p) => `(-${p})`)),
    );
  };
  return {
    u32: unsignedOps('u32'),
    u64: unsignedOps('u64'),
    i32: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf('i32'),
      mk('i32', fc.tuple(short(any()), fc.constantFrom('+', '-', '*'), short(any())).map(([p, o, q]) => `(${p} ${o} ${q})`)),
      mk('i32', fc.tuple(as('i32', any()), fc.constantFrom('&', '|', '^'), as('i32', any())).map(([p, o, q]) => `(${p} ${o} ${q})`)),
      mk('i32', fc.tuple(any(), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), any()).map(([p, o, q]) => `(${p.code} ${o} ${q.code})`)),
      mk('i32', fc.tuple(any(), fc.constantFrom('&&', '||'), any()).map(([p, o, q]) => `(${p.code} ${o} ${q.code})`)),
      mk('i32', fc.tuple(short(any()), as('i32', any())).map(([p, q]) => `(${q} > 0 ? ${p} / ${q} : ${q} < -1 ? ${p} % ${q} : ${p})`)),
      mk('i32', fc.tuple(as('i32', any()), fc.integer({ min: 0, max: 31 })).map(([p, n]) => `(${p} >> ${n})`)),
      mk('i32', fc.tuple(any(), rec('i32'), rec('i32')).map(([c, p, q]) => `(${c.code} ? ${p.code} : ${q.code})`)),
      mk('i32', any().map((p) => `(!${p.code})`)),
      mk('i32', as('i32', any()).map((p) => `(~${p})`)),
      mk('i32', fc.tuple(fc.constantFrom('signed char', 'unsigned char', 'short', 'unsigned short', '_Bool'), any()).map(([c, p]) => `((int)(${c})${p.code})`)),
    ),
    i64: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf('i64'),
      mk('i64', fc.tuple(as('i32', any()), fc.constantFrom('+', '-', '*'), as('i32', any())).map(([p, o, q]) => `((long long)${p} ${o} (long long)${q})`)),
      mk('i64', fc.tuple(as('i64', any()), fc.constantFrom('&', '|', '^'), as('i64', any())).map(([p, o, q]) => `(${p} ${o} ${q})`)),
      mk('i64', fc.tuple(as('i64', any()), as('i64', any())).map(([p, q]) => `(${q} > 0 ? ${p} / ${q} : ${q} < -1 ? ${p} % ${q} : ${p})`)),
      mk('i64', fc.tuple(as('i64', any()), fc.integer({ min: 0, max: 63 })).map(([p, n]) => `(${p} >> ${n})`)),
      mk('i64', any().map((p) => `((long long)${p.code})`)),
    ),
  };
});

const program = fc.record({
  exprs: fc.array(fc.oneof(tie.u32, tie.i32, tie.u64, tie.i64), { minLength: 5, maxLength: 20 }),
  a: fc.integer({ min: 0, max: 0xffffffff }), b: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  c: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), d: fc.bigInt({ min: -(1n << 62n), max: 1n << 62n }),
  e: fc.integer({ min: 0, max: 255 }), f: fc.integer({ min: -32768, max: 32767 }),
}).map((p) => `
int main(void) {
  unsigned a = ${p.a}u; int b = ${p.b === -(2 ** 31) ? '-2147483647 - 1' : p.b}; unsigned long long c = ${p.c}ull;
  long long d = ${p.d}ll; unsigned char e = ${p.e}; short f = ${p.f};
${p.exprs.map((x) => `  print_ull((unsigned long long)${x.code});`).join('\n')}
  return 0;
}
`);

t.test('random expressions agree with gcc', { skip: hasGcc ? false : 'gcc is not installed' }, async (t) => {
  let n = 0;
  // No shrinking: each run costs a gcc build; the failing program is reported whole.
  // Every optimization level must print what gcc's build prints.
  const agree = (src: string, want: string): boolean => OPT_LEVELS.every((opt) => runC(PRINT + src, { opt }).out === want);
  const r = fc.check(fc.property(program, (src) => agree(src, native(`rand${n++}`, src).out)), { numRuns: 12, endOnFailure: true });
  if (r.failed) {
    const src = r.counterexample![0];
    const want = native('failed', src).out;
    for (const opt of OPT_LEVELS) t.equal(runC(PRINT + src, { opt }).out, want, `-O${opt}:\n${src}`);
  } else {
    t.pass(`${n} random programs agree`);
  }
});

// ---- statements: loops, switch, break/continue, struct copies, calls, arrays, long long -------
let seed = 1;
const R = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pick = <T>(a: T[]): T => a[R(a.length)]!;
const SVARS = ['x', 'y', 'z', 'w'];
const LL = ['q'];
function ex(d: number): string {
  if (d <= 0 || R(4) === 0) return pick([...SVARS, String(R(100)), `a[${pick(SVARS)} & 7]`, `s.m`, `s.arr[${pick(SVARS)} & 3]`, `(unsigned)q`, `g`, `p->m`, `pa[${pick(SVARS)} & 7]`, `(unsigned)pq[${pick(SVARS)} & 3]`, `p->arr[${pick(SVARS)} & 3]`, `pa[${pick(SVARS)} & 7]++`, `(unsigned)(pq[${pick(SVARS)} & 3]--)`]);
  switch (R(12)) {
    case 0: return `(${ex(d - 1)} ${pick(['+', '-', '*', '&', '|', '^'])} ${ex(d - 1)})`;
    case 1: return `(${ex(d - 1)} ${pick(['<', '>', '==', '!=', '<=', '>='])} ${ex(d - 1)})`;
    case 2: { const b = ex(d - 1); return `(${b} ? ${ex(d - 1)} / ${b} : 1u)`; }
    case 3: return `(${ex(d - 1)} ${pick(['<<', '>>'])} (${ex(d - 1)} & 31))`;
    case 4: return `f1(${ex(d - 1)})`;
    case 5: return `f2(${ex(d - 1)}, ${ex(d - 1)})`;
    case 6: return `(${ex(d - 1)} ${pick(['&&', '||'])} ${ex(d - 1)})`;
    case 7: return `(${ex(d - 1)} ? ${ex(d - 1)} : ${ex(d - 1)})`;
    case 8: return `(unsigned)(signed char)${ex(d - 1)}`;
    case 9: return `(unsigned)(${pick(LL)} ${pick(['+', '*', '-', '/ 3 +', '%7+', '>> 3 ^'])} ${ex(d - 1)})`;
    case 10: return `mk(${ex(d - 1)}).m`;
    default: return `(~${ex(d - 1)})`;
  }
}
function lv(): string { return pick([...SVARS, `a[${pick(SVARS)} & 7]`, 's.m', `s.arr[${pick(SVARS)} & 3]`, 'g', 'p->m', `pa[${pick(SVARS)} & 7]`, `p->arr[${pick(SVARS)} & 3]`]); }
function st(d: number): string {
  if (d <= 0) return `${lv()} ${pick(['=', '+=', '-=', '^=', '|=', '*='])} ${ex(2)};`;
  switch (R(9)) {
    case 0: return `if (${ex(2)}) { ${st(d - 1)} } else { ${st(d - 1)} }`;
    case 1: return `for (int i${d} = 0; i${d} < ${1 + R(5)}; i${d}++) { ${st(d - 1)} ${R(3) ? '' : `if (${ex(1)}) continue;`} ${st(d - 1)} }`;
    case 2: return `{ int k${d} = ${R(4)}; while (k${d}-- > 0) { ${st(d - 1)} if (${ex(1)} & 1) break; } }`;
    case 3: return `switch (${ex(2)} & 7) { case 0: ${st(d - 1)} break; case 1: case 2: ${st(d - 1)} case 5: ${st(d - 1)} break; default: ${st(d - 1)} }`;
    case 4: return `q = q * 3 + ${ex(2)}; q ^= q >> 7;`;
    case 5: return `s = mk(${ex(2)}); t = s; s.m += t.arr[1];`;
    case 6: return `do { ${st(d - 1)} } while (0);`;
    case 7: return `${lv()}++; --${lv()};`;
    default: return `${st(d - 1)} ${st(d - 1)}`;
  }
}
function stmtProgram(): string {
  let body = '';
  for (let i = 0; i < 6; i++) body += '  ' + st(3) + '\n  print_u(x ^ y ^ z ^ w ^ s.m ^ g); putchar(10);\n';
  return `
struct S { unsigned m; unsigned arr[4]; };
unsigned g = 7;
static unsigned f1(unsigned v) { return v * 2654435761u ^ (v >> 5); }
static unsigned f2(unsigned a, unsigned b) { return a - b * 3; }
static struct S mk(unsigned v) { struct S r = { v, { v, v + 1, v * 2, 3 } }; return r; }
int main(void) {
  unsigned x = ${R(1000)}, y = ${R(100000)}, z = ${R(7)}u, w = 4000000000u;
  unsigned a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  long long q = ${R(100000)}LL * 77777;
  struct S s = mk(5), t; struct S *p = &s; unsigned *pa = a; long long qq[4] = { 1, -2, 3, -4 }; long long *pq = qq;
${body}
  print_ll(q); print_ll(qq[0] + qq[1] + qq[2] + qq[3]);
  return (int)(x & 127);
}`;
}

t.test('random statement programs agree with gcc', { skip: hasGcc ? false : 'gcc is not installed' }, async (t) => {
  const r = fc.check(fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (s) => {
    seed = s;
    const src = stmtProgram();
    const ref = native(`stmt${s}`, src);
    return OPT_LEVELS.every((opt) => {
      const mine = runC(PRINT + src, { opt });
      return mine.out === ref.out && (mine.code & 255) === ref.code;
    });
  }), { numRuns: 8, endOnFailure: true });
  if (r.failed) {
    seed = r.counterexample![0];
    const src = stmtProgram();
    const want = native('stmtfail', src).out;
    for (const opt of OPT_LEVELS) t.equal(runC(PRINT + src, { opt }).out, want, `-O${opt}:\n${src}`);
  } else {
    t.pass('8 random statement programs agree');
  }
});
