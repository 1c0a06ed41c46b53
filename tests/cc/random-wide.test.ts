/**
 * Random programs over `long long` (docs/cc-optimizer.md, "long long"): 64-bit arithmetic whose
 * carries and borrows cross the word boundary, signed and unsigned comparisons, shifts by every
 * constant count and by variable ones, multiplication, division and remainder, conversions to
 * and from narrower types, op= and ++ on registers, globals, struct members and array elements,
 * arguments and results of calls (tail calls among them), 64-bit loop counters. Each program is built by gcc and by
 * vamos cc at -O0, -O1 and -O2; all four must print the same. Only well-defined C (as gcc
 * defines it): unsigned arithmetic, signed values made by conversion, shift counts masked to
 * 0..63, divisors made odd.
 */
import t from 'tap';
import fc from 'fast-check';
import { hasGcc, native, OPT_LEVELS, PRINT, runC } from './compiler-harness.js';

let seed = 1;
const R = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
const pick = <T>(a: readonly T[]): T => a[R(a.length)]!;

/** A 64-bit constant that is often near a word boundary (where carries happen). */
function wideConst(): string {
  const near = [0n, 1n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffen];
  const v = R(2) ? pick(near) + BigInt(R(3)) - 1n : (BigInt(R(65536)) << BigInt(R(48))) ^ BigInt(R(1 << 30));
  return `0x${BigInt.asUintN(64, v).toString(16)}ull`;
}

function leaf(): string {
  return pick([
    'x', 'y', 'z', 'x', 'y', '(U)s', '(U)lo', '(U)k', '(U)sh', '(U)uc', wideConst(), `${R(100)}u`,
    `gw[${R(8)}]`, `gw[(unsigned)x & 7]`, `recs[${R(2)}].hits`, `(U)recs[${R(2)}].delta`, 'i1', 'i2',
  ]);
}

function ex(d: number): string {
  if (d <= 0 || R(3) === 0) return leaf();
  const sub = (): string => ex(d - 1);
  switch (R(14)) {
    case 0: case 1: return `(${sub()} ${pick(['+', '-', '*', '&', '|', '^', '+', '-'])} ${sub()})`;
    case 2: return `(U)(${sub()} ${pick(['<', '>', '==', '!=', '<=', '>='])} ${sub()})`;
    case 3: return `(U)((S)${sub()} ${pick(['<', '>', '<=', '>='])} (S)${sub()})`;
    case 4: return `(${sub()} ${pick(['/', '%'])} (${sub()} | 1u))`;
    case 5: return `(${sub()} ${pick(['<<', '>>'])} (${sub()} & 63u))`;
    case 6: return `(${sub()} ${pick(['<<', '>>'])} ${R(64)})`;
    case 7: return `(U)((S)${sub()} >> ${pick([`${R(64)}`, `(k & 63)`])})`;
    case 8: return `(${sub()} ? ${sub()} : ${sub()})`;
    case 9: return `(U)${pick(['(unsigned)', '(int)', '(unsigned short)', '(signed char)', '(_Bool)'])}${sub()}`;
    case 10: return `wmul(${sub()}, ${sub()})`;
    case 11: return pick([`(U)sgn((S)${sub()}, k)`, `chain(${sub()}, ${R(6)}u, ${sub()})`, `(U)pick3(k, ${sub()}, (S)${sub()})`]);
    case 12: return `(U)(!${sub()} ${pick(['&&', '||'])} ${sub()})`;
    default: return `${pick(['-', '~'])}${sub()}`;
  }
}

function st(d: number): string {
  const e = (n = 2): string => ex(n);
  if (d <= 0) {
    switch (R(9)) {
      case 0: return `${pick(['x', 'y', 'z', `gw[${R(8)}]`, `recs[${R(2)}].hits`])} ${pick(['=', '+=', '-=', '^=', '|=', '&=', '*='])} ${e()};`;
      case 1: return `${pick(['x', 'z'])} ${pick(['<<=', '>>='])} (${e(1)} & 63u);`;
      case 2: return `s = (S)((U)s ${pick(['+', '-', '^'])} ${e()});`;
      case 3: return `${pick(['lo', 'k', 'sh', 'uc'])} ${pick(['+=', '^=', '-='])} ${e()};`;
      case 4: return `${pick(['x++', '--y', 'z--', `++gw[${R(8)}]`, `recs[${R(2)}].hits++`, 's++', `recs[${R(2)}].delta--`])};`;
      case 5: return `recs[${R(2)}].delta = (S)${e()};`;
      case 6: return `x = y ${pick(['/', '%'])} (${e(1)} | 1u);`;
      case 7: return `lo = (unsigned)(${e()} >> ${R(64)});`;
      default: return `z = ${e()};`;
    }
  }
  const inner = (): string => st(d - 1);
  switch (R(6)) {
    // Each depth counts with its own variable (a nested loop resetting the outer one's could run forever).
    case 0: return `for (i${d} = 0; i${d} < (${e(1)} & 3u); i${d}++) { ${inner()} ${inner()} }`;
    case 1: return `if (${e()}) { ${inner()} } else { ${inner()} }`;
    case 2: return `if ((S)${e(1)} ${pick(['<', '>=', '>', '<='])} (S)${e(1)}) { ${inner()} }`;
    case 3: return `{ U c = ${e(1)} & 7u; while (c-- != 0) { ${inner()} } }`;
    default: return `${inner()} ${inner()}`;
  }
}

function program(): string {
  let body = '';
  for (let n = 0; n < 3; n++) body += `  ${st(2)}\n  print_ull(x ^ y ^ z ^ (U)s ^ lo ^ (U)k ^ (U)sh ^ uc ^ gw[${n}] ^ recs[${n & 1}].hits ^ (U)recs[${n & 1}].delta);\n`;
  return `
typedef unsigned long long U;
typedef long long S;
U gw[8] = { ${Array.from({ length: 8 }, wideConst).join(', ')} };
struct rec { unsigned tag; U hits; S delta; } recs[2];
/* Not static: called, not inlined (a 64-bit result and arguments cross a call). */
U wmul(U a, U b) { return a * b + (a >> 7); }
static S sgn(S a, int k) { return a < 0 ? -a : a + k; }
/* Tail calls at -O2: to itself, and to callees taking fewer argument words. */
U chain(U a, unsigned n, U b) { if (n == 0) return a ^ b; return chain(a * 3u + n, n - 1, b >> 1); }
S pick3(int k, U a, S b) { if (k & 1) return sgn(b, k); return (S)wmul(a, (U)b); }
static U run(U x, U y, S s) {
  U z = x ^ 0x5a5a5a5a5a5a5a5aull, i1 = 0, i2 = 0;
  unsigned lo = (unsigned)y;
  int k = ${R(200) - 100};
  short sh = ${R(65536) - 32768};
  unsigned char uc = ${R(256)};
${body}
  return x + y * 7u + z * 13u + (U)s + lo + (U)k + (U)sh + uc + i1 + i2;
}
int main(void) {
  print_ull(run(${wideConst()}, ${wideConst()}, (S)${wideConst()}));
  print_ull(run(${R(7)}u, ${wideConst()}, -${R(100)}));
  return 0;
}`;
}

t.test('random long long programs agree with gcc at every -O level', { skip: hasGcc ? false : 'gcc is not installed' }, async (t) => {
  const agree = (src: string): boolean => {
    const want = native(`wide${seed}`, src);
    return OPT_LEVELS.every((opt) => runC(PRINT + src, { opt, maxInstructions: 200_000_000 }).out === want.out);
  };
  const r = fc.check(fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (s) => {
    seed = s;
    return agree(program());
  }), { numRuns: 8, endOnFailure: true });
  if (r.failed) {
    seed = r.counterexample![0];
    const src = program();
    const want = native('widefail', src).out;
    for (const opt of OPT_LEVELS) t.equal(runC(PRINT + src, { opt, maxInstructions: 200_000_000 }).out, want, `-O${opt}:\n${src}`);
  } else {
    t.pass('8 random long long programs agree');
  }
});
