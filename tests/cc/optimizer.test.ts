/**
 * The optimizing back end (toolchain/cc/ir, docs/cc-optimizer.md): corner cases each pass has to
 * get right, run at every level against gcc; what the levels emit; determinism; and the code the
 * benchmark's hottest loop gets.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type CcStats } from '../../toolchain/cc/compile.js';
import { preprocess } from '../../toolchain/cc/preprocess.js';
import { hasGcc, native, OPT_LEVELS, PRELUDE, PRINT, runC } from './compiler-harness.js';
import { projectFile } from '../../vmm/paths.js';

const CASES: Record<string, string> = {
  // A goto into a loop body: the loop has a second entry, so nothing may be hoisted out of it.
  gotoIntoLoop: `
int f(int n, int k) { int s = 0, i = 0; if (n > 5) goto inside; for (i = 0; i < n; i++) { s += k * 3; inside: s += i * k; } return s; }
int main(void) { print(f(3, 7)); print(f(9, 2)); print(f(0, 5)); return 0; }`,
  // Invariants of loops that run zero times, and of conditionally executed code.
  hoisting: `
unsigned g[8];
unsigned f(unsigned n, unsigned a, unsigned b) { unsigned s = 0, i, j; for (i = 0; i < n; i++) { if (i & 1) s += a * b + 3; for (j = 0; j < n; j++) g[j & 7] += (a << 2) + j; } return s + g[1]; }
int main(void) { print(f(0, 3, 4)); print(f(5, 3, 4)); print(f(3, 0xffffffff, 7)); return 0; }`,
  // More live values than registers, across calls (which clobber ecx and edx) and divisions (edx).
  pressure: `
static unsigned mix(unsigned a, unsigned b) { return a * 31u + b; }
unsigned f(unsigned x) {
  unsigned a = x + 1, b = x * 3, c = x ^ 5, d = x - 7, e = x << 2, g = x >> 1, h = x | 9, k = x & 12;
  unsigned i, s = 0;
  for (i = 1; i < 20; i++) { s += mix(a, i) / (i | 1) + b % i; a += c; b ^= d; c += e / i; d -= g; e += h; g ^= k; h += i; k += s; }
  return s + a + b + c + d + e + g + h + k;
}
int main(void) { print(f(1)); print(f(123456)); print(f(0xfffffff0u)); return 0; }`,
  // Division and shifts: signed division by a power of two is not a shift; unsigned is.
  arithmetic: `
int sd(int x) { return x / 4 + x % 8; }
unsigned ud(unsigned x) { return x / 16 + x % 32; }
unsigned sh(unsigned x, int n) { return (x << n) ^ (x >> (n + 1)) ^ (unsigned)((int)x >> n); }
int main(void) { print(sd(-9)); print(sd(9)); print(sd(-2147483647 - 1)); print(ud(4000000000u)); print(sh(0x80001234u, 3)); print(sh(7, 31)); return 0; }`,
  // Narrow locals wrap on every assignment, ++ and op=, and _Bool normalizes.
  narrow: `
int f(int n) { signed char c = 120; unsigned char u = 250; short s = 32760; _Bool b = 0; int i;
  for (i = 0; i < n; i++) { c++; u += 3; s += 5; b += 2; } return c * 1000000 + u * 1000 + s + b; }
int main(void) { print(f(0)); print(f(10)); print(f(300)); return 0; }`,
  // Compare-and-branch on values, pointers and materialised booleans.
  branches: `
int cmp(const int *p, const int *q) { return *p < *q ? -1 : *p > *q; }
int f(int a, int b, unsigned u, const char *s) { int r = (a < b) + (u > 5u) * 2 + (s != 0) * 4 + !a * 8; if ((a < b) == (u > 5u)) r += 16; while (*s && *s != 'x') { r += *s++; } return r; }
int main(void) { int x = 3, y = -4; print(cmp(&x, &y)); print(cmp(&y, &x)); print(cmp(&x, &x)); print(f(1, 2, 9, "abxq")); print(f(0, -1, 1, "")); return 0; }`,
  // Inlined callees: returns from inside loops, recursion (never inlined), a callee called twice.
  inlining: `
static int find(const int *v, int n, int x) { int i; for (i = 0; i < n; i++) if (v[i] == x) return i; return -1; }
static int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }
static void bump(int *p, int by) { *p += by; }
int main(void) { int v[5] = { 4, 8, 15, 16, 23 }; int k = 0; bump(&k, find(v, 5, 15)); bump(&k, find(v, 5, 99) * 10);
  print(k); print(find(v, 5, 23) + find(v, 0, 4)); print(fact(10)); return 0; }`,
  // Tail calls (-O2): to itself, between two functions, to a callee with fewer arguments, with a
  // long long result; calls whose arguments do not fit, or whose result is converted, or whose
  // caller's frame escapes, stay calls.
  tailcalls: `
static int count(int n, int acc) { if (n == 0) return acc; return count(n - 1, acc + 1); }
int odd(unsigned n, int junk);
int even(unsigned n, int junk) { if (n == 0) return 1; return odd(n - 1, junk ^ 1); }
int odd(unsigned n, int junk) { if (n == 0) return 0; return even(n - 1, junk + 2); }
int three(int a, int b, int c) { return a * 100 + b * 10 + c; }
int fewer(int a, int b, int c, int d) { return three(d, c, b + a); }
int more(int a) { return three(a, a + 1, a + 2); }
signed char narrowed(int a, int b, int c) { return three(a, b, c); }
int sum(const int *p, int n) { return n ? *p + sum(p + 1, n - 1) : 0; }
int escapes(int a, int b) { int v[2]; v[0] = a; v[1] = b; return sum(v, 2); }
long long wide(long long x, int k) { return x * k; }
long long wrap(int k, long long x) { return wide(x + 1, k); }
static int total;
void note(int k) { total += k; }
void noter(int k, int j) { note(k + j); }
int main(void) { print(count(1000, 7)); print(even(1001, 0)); print(odd(999, 5)); print(fewer(1, 2, 3, 4)); print(more(5));
  print(narrowed(9, 9, 9)); print(escapes(3, 4)); print_ll(wrap(3, 0x100000000LL)); noter(2, 3); noter(4, 5); print(total); return 0; }`,
  // A switch with a jump table and with a compare chain, inside a loop.
  switches: `
int f(int n) { int s = 0, i; for (i = -2; i < n; i++) { switch (i) { case 0: s += 1; break; case 1: s += 10; case 2: s += 100; break; case 3: case 4: s += 1000; break; default: s -= 1; }
  switch (i * 1000) { case -2000: s += 7; break; case 5000: s += 9; break; } } return s; }
int main(void) { print(f(0)); print(f(8)); return 0; }`,
};

for (const [name, src] of Object.entries(CASES)) {
  t.test(`${name}: every level agrees with gcc`, { skip: hasGcc ? false : 'gcc is not installed' }, async (t) => {
    const want = native(`opt_${name}`, src);
    for (const opt of OPT_LEVELS) {
      const got = runC(PRINT + src, { opt });
      t.equal(got.out, want.out, `-O${opt} output`);
      t.equal(got.code & 255, want.code, `-O${opt} exit status`);
    }
  });
}

const corpus = projectFile('tests', 'cc', 'corpus');
const pre = (file: string): string => preprocess(readFileSync(join(corpus, file), 'utf8'), { file });

t.test('-O0 is the straightforward generator; -O1 and -O2 go through the IR', async (t) => {
  const src = pre('bench_sieve.c');
  t.equal(compile(src, { file: 'a.c' }), compile(src, { file: 'a.c', opt: 0 }), 'no level is -O0');
  t.notMatch(compile(src, { file: 'a.c', opt: 0 }), /^\.B\d+:/m, '-O0 has no IR blocks');
  t.match(compile(src, { file: 'a.c', opt: 1 }), /^\.B\d+:/m, '-O1 has IR blocks');
  const frameRefs = (asm: string): number => (asm.match(/\[ebp - \d+\]/g) ?? []).length;
  const o0 = frameRefs(compile(src, { file: 'a.c', opt: 0 })), o2 = frameRefs(compile(src, { file: 'a.c', opt: 2 }));
  t.ok(o2 * 4 < o0, `frame references: ${o0} at -O0, ${o2} at -O2 (locals in registers)`);
});

t.test('a function the IR does not model falls back to -O0 code, alone, and stats say why', async (t) => {
  const src = 'struct pair { int a, b; };\nvoid copy(struct pair *d, struct pair *s) { *d = *s; }\nint narrow(int x) { return x * 3; }\n';
  const stats: CcStats = { functions: 0, fallbacks: [] };
  const asm = compile(src, { file: 'a.c', opt: 2, stats });
  const copy = asm.slice(asm.indexOf('copy:'), asm.indexOf('narrow:'));
  t.notMatch(copy, /^\.B\d+:/m, 'the struct-copying function is compiled by the -O0 generator');
  t.match(asm.slice(asm.indexOf('narrow:')), /^\.B\d+:/m, 'the int function by the IR back end');
  t.same(stats, { functions: 2, fallbacks: [{ file: 'a.c', line: 2, fn: 'copy', reason: 'struct assignment' }] }, 'the fallback and its reason are reported');
});

t.test('long long functions go through the IR', async (t) => {
  const asm = compile('long long wide(long long x, unsigned long long y) { x += y >> 3; return x < 0 ? -x : x; }\n', { file: 'a.c', opt: 2 });
  t.match(asm, /^\.B\d+:/m, 'compiled by the IR back end');
  t.notMatch(asm, /rt_(shr|sar|shl)64/, 'a shift by a constant needs no runtime routine');
});

t.test('-O2 turns calls in tail position into jumps where the ABI allows, in constant stack', async (t) => {
  const src = CASES.tailcalls!;
  const asm = compile(PRELUDE + PRINT + src, { file: 'a.c', opt: 2 });
  const lines = asm.split('\n');
  const body = (name: string): string => {
    const start = lines.findIndex((l) => l === `${name}:` || l === `_L0_${name}:`);
    const end = lines.findIndex((l, k) => k > start && (/^[^.\s;][^:]*:$/.test(l) || l.startsWith('.global')));
    return lines.slice(start, end).join('\n');
  };
  for (const [fn, callee] of [['count', 'count'], ['even', 'odd'], ['fewer', 'three'], ['wrap', 'wide'], ['noter', 'note']]) {
    t.match(body(fn!), new RegExp(`jmp (_L0_)?${callee}$`, 'm'), `${fn} jumps to ${callee}`);
  }
  for (const fn of ['more', 'narrowed', 'escapes']) t.notMatch(body(fn), /jmp [^.]/, `${fn} calls`);
  t.notMatch(compile(PRELUDE + PRINT + src, { file: 'a.c', opt: 1 }), /jmp [a-z]/, 'not at -O1');
  // 3,000,000 frames would not fit in the 16 MiB the harness gives the stack.
  const deep = runC(PRINT + 'static int count(int n, int acc) { if (n == 0) return acc; return count(n - 1, acc + 1); }\nint main(void) { print(count(3000000, 7)); return 0; }', { opt: 2 });
  t.equal(deep.out, '3000007\n', '3,000,000 tail calls deep');
});

t.test('-O2 output is the same run to run', async (t) => {
  for (const file of ['bench_sort.c', 'bench_strings.c', 'switch.c', 'pointers.c']) {
    const src = pre(file);
    t.equal(compile(src, { file, opt: 2 }), compile(src, { file, opt: 2 }), file);
  }
});

t.test("matmul's inner loop is at most 9 instructions at -O2 (24 at -O0; gcc's is 7)", async (t) => {
  const asm = compile(pre('bench_matmul.c'), { file: 'm.c', opt: 2 });
  // The inner loop: the block with the multiply-add into c (_L0_c), through its backward branch.
  const lines = asm.split('\n');
  const mul = lines.findIndex((l, i) => /imul/.test(l) && lines.slice(Math.max(0, i - 3), i + 4).some((x) => /_c\]/.test(x)));
  t.ok(mul > 0, 'found the multiply-add');
  let start = mul;
  while (start > 0 && !/^\.B\d+:$/.test(lines[start]!)) start--;
  const label = lines[start]!.slice(0, -1);
  const end = lines.findIndex((l, i) => i > start && l.trim() !== '' && new RegExp(`^\\s+j\\w+ ${label.replace('.', '\\.')}$`).test(l));
  t.ok(start > 0 && end > start, 'found the branch back');
  const count = lines.slice(start + 1, end + 1).filter((l) => /^\s+\w/.test(l)).length;
  t.ok(count <= 9, `${count} instructions per element`);
});
