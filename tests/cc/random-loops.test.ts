/**
 * Random programs aimed at the optimizer (docs/cc-optimizer.md): nested loops over arrays with
 * index expressions and pointer walks, loop-invariant arithmetic, more live variables than there
 * are registers, calls and divisions inside loops (the registers they clobber), variable shift
 * counts, narrow locals that wrap, locals whose address is taken, break/continue/goto out of
 * loops and switches inside them. Each program is built by gcc and by vamos cc at -O0, -O1 and
 * -O2; all four must print the same. Only well-defined C: unsigned arithmetic, indices masked to
 * the array sizes, loops with small constant bounds, divisors made odd.
 */
import t from 'tap';
import fc from 'fast-check';
import { hasGcc, native, OPT_LEVELS, PRINT, runC } from './compiler-harness.js';

let seed = 1;
const R = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
const pick = <T>(a: readonly T[]): T => a[R(a.length)]!;

/** Scalars of every function: more than the five allocatable registers. */
const VARS = ['x', 'y', 'z', 'w', 'u', 'v', 'k'];
const NARROW = ['c8', 's16'];

function leaf(loopVars: string[]): string {
  const idx = (): string => `(${pick([...VARS, ...loopVars])} & 15)`;
  return pick([
    ...VARS, ...VARS, ...loopVars, ...loopVars, String(R(300)), `${R(4000000000)}u`,
    `g[${idx()}]`, `a[${idx()}]`, `m[${R(4)}][${idx()} & 7]`, `(unsigned)c8`, `(unsigned)s16`,
    `*p`, `p[${R(4)}]`, `(unsigned)bytes[${idx()}]`, `cell`, `*pc`,
  ]);
}

function ex(d: number, lv: string[]): string {
  if (d <= 0 || R(3) === 0) return leaf(lv);
  const sub = (): string => ex(d - 1, lv);
  switch (R(11)) {
    case 0: case 1: return `(${sub()} ${pick(['+', '-', '*', '&', '|', '^'])} ${sub()})`;
    case 2: return `(${sub()} ${pick(['<', '>', '==', '!=', '<=', '>='])} ${sub()})`;
    case 3: return `(${sub()} ${pick(['/', '%'])} (${sub()} | 1u))`;
    case 4: return `(${sub()} / ${pick(['3u', '4u', '7u', '16u', '1u'])})`;
    case 5: return `(${sub()} ${pick(['<<', '>>'])} (${sub()} & 31u))`;
    case 6: return `(${sub()} ${pick(['<<', '>>'])} ${R(32)})`;
    case 7: return `h(${sub()}, ${sub()})`;
    case 8: return `(${sub()} ? ${sub()} : ${sub()})`;
    case 9: return `(unsigned)((int)${sub()} >> ${R(32)})`;
    default: return `(${sub()} ${pick(['&&', '||'])} ${sub()})`;
  }
}

function lvalue(lv: string[]): string {
  const idx = `(${pick([...VARS, ...lv])} & 15)`;
  return pick([...VARS, ...VARS, `a[${idx}]`, `g[${idx}]`, `m[${R(4)}][${idx} & 7]`, `*p`, `p[${R(4)}]`, 'cell', ...NARROW, `bytes[${idx}]`]);
}

let labels = 0;

function st(d: number, lv: string[]): string {
  const e = (n = 2): string => ex(n, lv);
  if (d <= 0) {
    const op = pick(['=', '+=', '-=', '^=', '|=', '*=', '>>=']);
    return `${lvalue(lv)} ${op} ${op === '>>=' ? `(${e()} & 31u)` : e()};`;
  }
  const i = `i${d}`;
  const inner = (): string => st(d - 1, [...lv, i]);
  switch (R(12)) {
    case 0: return `for (${i} = 0; ${i} < ${1 + R(9)}; ${i}++) { ${inner()} ${inner()} }`;
    case 1: return `for (${i} = 0; ${i} < 16; ${i}++) a[${i}] = a[${i}] * ${1 + R(9)}u + ${e(1)};`;
    // Each depth walks its own pointer (an inner walk must not reset the outer one's).
    case 2: return `for (q${d} = a + ${R(4)}; q${d} < a + ${8 + R(8)}; q${d}++) { p = q${d}; ${inner()} }`;
    case 3: return `{ unsigned n = ${e(1)} & 7u; while (n-- > 0) { ${inner()} if (${e(1)} & 1u) break; } }`;
    case 4: return `for (${i} = 0; ${i} < 4; ${i}++) { for (j${d} = 0; j${d} < 8; j${d}++) m[${i}][j${d}] += ${e(1)} * (x + y); ${inner()} }`;
    case 5: return `for (${i} = ${R(5)}; ${i} != 0; ${i}--) { if (${e(1)} & 3u) continue; ${inner()} }`;
    case 6: { const l = `out${labels++}`; return `for (${i} = 0; ${i} < 5; ${i}++) { ${inner()} if ((${e(1)} & 7u) == 3u) goto ${l}; } ${l}: ;`; }
    case 7: return `switch (${e(1)} & 3u) { case 0: ${inner()} break; case 1: ${inner()} case 2: ${inner()} break; default: ${inner()} }`;
    case 8: return `{ int dd${d} = 0; do { ${inner()} } while (++dd${d} < ${1 + R(3)}); }`;
    case 9: return `bump(&cell, ${e(1)}); pc = &cell;`;
    case 10: return `for (${i} = 0; ${i} < 16; ${i}++) bytes[${i}] = (unsigned char)(bytes[(${i} + 1) & 15] + ${i} * ${e(1)});`;
    default: return `if (${e()}) { ${inner()} } else { ${inner()} }`;
  }
}

function program(): string {
  labels = 0;
  let body = '';
  for (let n = 0; n < 5; n++) body += `  ${st(3, [])}\n  print_u(x ^ y ^ z ^ w ^ u ^ v ^ k ^ cell ^ a[${n}] ^ g[${n + 3}] ^ m[${n & 3}][${n}] ^ (unsigned)c8 ^ (unsigned)s16 ^ bytes[${n}]); putchar(10);\n`;
  return `
unsigned g[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 };
static unsigned h(unsigned a, unsigned b) { return (a ^ (b >> 3)) * 2654435761u + b; }
static void bump(unsigned *q, unsigned by) { *q += by | 1u; }
static unsigned run(unsigned x, unsigned y, unsigned z) {
  unsigned w = x ^ 0x5a5a5a5au, u = y * 3u, v = z + 17u, k = 1u, cell = ${R(1000)}u;
  unsigned a[20], m[4][8], *p = a, *pc = &cell; /* p points into a[0..15] and reads p[0..3] */
  unsigned *q1 = a, *q2 = a, *q3 = a;
  unsigned char bytes[16];
  signed char c8 = ${R(256) - 128};
  short s16 = ${R(65536) - 32768};
  int i1 = 0, i2 = 0, i3 = 0, j1 = 0, j2 = 0, j3 = 0;
  for (i1 = 0; i1 < 20; i1++) a[i1] = g[i1 & 15] * ${1 + R(100)}u + x + i1;
  for (i1 = 0; i1 < 16; i1++) bytes[i1] = (unsigned char)(i1 * 37 + y);
  for (i1 = 0; i1 < 4; i1++) for (j1 = 0; j1 < 8; j1++) m[i1][j1] = i1 * 8u + j1 + z;
${body}
  (void)i2; (void)i3; (void)j2; (void)j3; (void)q1; (void)q2; (void)q3;
  return x + y * 7u + z * 13u + w + u + v + k + cell + a[0] + m[3][7];
}
int main(void) {
  print_u(run(${R(100000)}u, ${R(4000000000)}u, ${R(1000)}u)); putchar(10);
  print_u(run(${R(7)}u, ${R(100)}u, 0u)); putchar(10);
  return 0;
}`;
}

t.test('random loops, arrays and pointers agree with gcc at every -O level', { skip: hasGcc ? false : 'gcc is not installed' }, async (t) => {
  const agree = (src: string): boolean => {
    const want = native(`loops${seed}`, src);
    return OPT_LEVELS.every((opt) => runC(PRINT + src, { opt, maxInstructions: 200_000_000 }).out === want.out);
  };
  const r = fc.check(fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (s) => {
    seed = s;
    return agree(program());
  }), { numRuns: 10, endOnFailure: true });
  if (r.failed) {
    seed = r.counterexample![0];
    const src = program();
    const want = native('loopsfail', src).out;
    for (const opt of OPT_LEVELS) t.equal(runC(PRINT + src, { opt, maxInstructions: 200_000_000 }).out, want, `-O${opt}:\n${src}`);
  } else {
    t.pass('10 random loop programs agree');
  }
});
