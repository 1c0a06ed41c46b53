/**
 * Random programs, compiled by gcc and by vamos cc, must compute the same values. The generator
 * only writes well-defined C: arithmetic that could overflow is unsigned, divisors are made
 * odd (never zero, never -1), shift counts are masked to 0..31, signed values are narrowed
 * before they are added or multiplied. Many random functions go into one program, so each
 * property run costs one gcc invocation.
 */
import t from 'tap';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootRom } from '../../firmware/build.js';
import { build } from '../../toolchain/cc/driver.js';
import { Vm } from '../../vmm/vm.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-random-'));
const gccOk = spawnSync('gcc', ['--version']).status === 0;

const VARS = ['a', 'b', 'c', 'd'];
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Expressions of type unsigned int, fully parenthesised so gcc -Wall has nothing to say. */
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => {
  const e = tie('e');
  const bin = (f: (x: string, y: string) => string): fc.Arbitrary<string> => fc.tuple(e, e).map(([x, y]) => f(x, y));
  const cond = (x: string): string => `(${x} != 0u)`;
  return {
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...VARS),
      u32.map((n) => `${n}u`),
      fc.integer({ min: 0, max: 40 }).map((n) => `${n}u`),
      bin((x, y) => `(${x} + ${y})`),
      bin((x, y) => `(${x} - ${y})`),
      bin((x, y) => `(${x} * ${y})`),
      bin((x, y) => `(${x} & ${y})`),
      bin((x, y) => `(${x} | ${y})`),
      bin((x, y) => `(${x} ^ ${y})`),
      bin((x, y) => `(${x} / (${y} | 1u))`),
      bin((x, y) => `(${x} % (${y} | 1u))`),
      bin((x, y) => `(${x} << (${y} & 31u))`),
      bin((x, y) => `(${x} >> (${y} & 31u))`),
      bin((x, y) => `((unsigned)((int)${x} >> (${y} & 31u)))`),
      bin((x, y) => `((unsigned)((int)${x} / (int)((${y} & 0xffffu) | 1u)))`),
      bin((x, y) => `((unsigned)((int)${x} % (int)((${y} & 0xffffu) | 1u)))`),
      bin((x, y) => `((unsigned)((short)${x} * (short)${y}))`),
      bin((x, y) => `((unsigned)((int)(${x} & 0xffffu) - (int)(${y} & 0xffffu)))`),
      bin((x, y) => `((unsigned)((int)${x} < (int)${y}))`),
      bin((x, y) => `((unsigned)((int)${x} >= (int)${y}))`),
      bin((x, y) => `((unsigned)(${x} < ${y}))`),
      bin((x, y) => `((unsigned)(${x} == ${y}))`),
      bin((x, y) => `((unsigned)(${x} > ${y}))`),
      bin((x, y) => `((unsigned)(${cond(x)} && ${cond(y)}))`),
      bin((x, y) => `((unsigned)(${cond(x)} || ${cond(y)}))`),
      bin((x, y) => `((unsigned)(((unsigned long long)${x} * ${y}) >> (${x} & 63u)))`),
      bin((x, y) => `((unsigned)((long long)(int)${x} * (int)${y} / (long long)(int)((${y} & 0xfffu) | 1u)))`),
      bin((x, y) => `((unsigned)(((unsigned long long)${x} << 32 | ${y}) % ((unsigned long long)${y} | 1u)))`),
      fc.tuple(e, e, e).map(([x, y, z]) => `(${cond(x)} ? ${y} : ${z})`),
      e.map((x) => `(~${x})`),
      e.map((x) => `(-${x})`),
      e.map((x) => `((unsigned)!${x})`),
      e.map((x) => `((unsigned)(signed char)${x})`),
      e.map((x) => `((unsigned)(short)${x})`),
      e.map((x) => `((unsigned char)${x})`),
      e.map((x) => `((unsigned short)${x})`),
    ),
  };
}).e;

/** Statements over the variables; loops have their own counters and at most 7 rounds. */
function stmts(depth: number): fc.Arbitrary<string> {
  const assign = fc.tuple(fc.constantFrom(...VARS), fc.constantFrom('=', '+=', '^=', '-=', '|='), expr).map(([v, op, x]) => `${v} ${op} ${x};`);
  if (depth >= 2) return fc.array(assign, { minLength: 1, maxLength: 3 }).map((s) => s.join('\n'));
  const inner = stmts(depth + 1);
  const one = fc.oneof(
    { weight: 4, arbitrary: assign },
    { weight: 1, arbitrary: fc.tuple(expr, inner, inner).map(([c, s1, s2]) => `if (${c} != 0u) {\n${s1}\n} else {\n${s2}\n}`) },
    { weight: 1, arbitrary: fc.tuple(expr, inner).map(([n, s]) => `for (i${depth} = 0; i${depth} < (${n} & 7u); i${depth}++) {\n${s}\n}`) },
    { weight: 1, arbitrary: fc.tuple(expr, inner, inner, inner).map(([x, s1, s2, s3]) =>
      `switch (${x} & 3u) {\ncase 0:\n${s1}\nbreak;\ncase 2:\n${s2}\nbreak;\ndefault:\n${s3}\n}`) },
  );
  return fc.array(one, { minLength: 1, maxLength: 4 }).map((s) => s.join('\n'));
}

const func = fc.tuple(stmts(0), fc.array(fc.tuple(u32, u32, u32), { minLength: 2, maxLength: 3 }));

function program(funcs: [string, [number, number, number][]][]): string {
  const defs = funcs.map(([body], k) => `static unsigned f${k}(unsigned a, unsigned b, unsigned c) {
unsigned d = a ^ (b << 3);
unsigned i0 = 0, i1 = 0;
${body}
(void)i0; (void)i1;
return a ^ (b * 3u) ^ (c * 5u) ^ (d * 7u);
}`);
  const calls = funcs.flatMap(([, inputs], k) => inputs.map(([x, y, z]) => `printf("f${k} %u\\n", f${k}(${x}u, ${y}u, ${z}u));`));
  return `#include <stdio.h>\n\n${defs.join('\n\n')}\n\nint main(void) {\n${calls.join('\n')}\nreturn 0;\n}\n`;
}

function native(src: string, n: number): string {
  const file = join(dir, `r${n}.c`);
  writeFileSync(file, src);
  // -w: gcc rightly remarks on things like `a == a`; the generator's job is only to avoid UB.
  execFileSync('gcc', ['-std=c99', '-w', '-O1', '-o', join(dir, `r${n}`), file], { stdio: 'pipe' });
  return execFileSync(join(dir, `r${n}`), { encoding: 'latin1' });
}

function vamos(src: string, n: number, opt: number): string {
  const { image } = build([{ path: `r${n}.c`, text: src }], { opt });
  let out = '';
  const vm = new Vm({ kernel: image, firmware: bootRom(), console: (b) => { out += String.fromCharCode(b); }, maxInstructions: 200_000_000 });
  const r = vm.run();
  if (r.stop !== 'poweroff') out += `\n[${r.message}]\n`;
  return out;
}

t.test('random expressions and statements: gcc and vamos agree', { skip: !gccOk && 'gcc not found' }, async (t) => {
  let n = 0;
  const r = fc.check(fc.property(fc.array(func, { minLength: 30, maxLength: 30 }), (funcs) => {
    const src = program(funcs);
    const k = n++;
    const want = native(src, k);
    for (const opt of [0, 1, 2]) {
      const got = vamos(src, k, opt);
      if (got !== want) {
        const w = want.split('\n');
        const g = got.split('\n');
        const i = w.findIndex((line, j) => line !== g[j]);
        const fn = /^f(\d+)/.exec(w[i] ?? '')?.[1];
        throw new Error(`-O${opt}: first difference at output line ${i + 1}: gcc '${w[i]}', vamos '${g[i]}'\n` +
          `function:\n${fn === undefined ? '(unknown)' : src.slice(src.indexOf(`static unsigned f${fn}(`)).split('\n\n')[0]}\n(program in ${join(dir, `r${k}.c`)})`);
      }
    }
  }), { numRuns: 4, endOnFailure: true });
  if (r.failed) t.fail(`seed ${r.seed}: ${r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance)}`);
  else t.pass(`${r.numRuns} programs of 30 random functions agreed at -O0, -O1 and -O2`);
});
