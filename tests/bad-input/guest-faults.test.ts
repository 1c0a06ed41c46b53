/**
 * Issue 15, items 10 and 11: a hosted program's fault ends with a crash report (the exception,
 * eip, the function and offset, a backtrace from the frame chain) and exit code 125, not a bare
 * "triple fault"; a stack overflow hits the unmapped guard below the stack instead of silently
 * corrupting globals, and memory outside RAM faults instead of reading 0xFF.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-faults-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const PROGRAM = `
#include <stdio.h>
int zero;
int guarded = 12345;
int divide(int a, int b) { return a / b; }
int deep(int n) { volatile int pad[16]; pad[0] = n; return deep(n + 1) + pad[0]; }
/* A shallower overflow: 1.2 MB of frames run past the 1 MiB stack into the heap, silently, unless a guard stops them. */
int shallow(int n) { volatile int pad[1024]; pad[0] = n; if (n == 300) return guarded; return shallow(n + 1) + pad[0]; }
int huge(void) { volatile char a[100000000]; a[0] = 1; return a[0]; }
int main(void) {
  int (*fp)(void) = 0;
  printf("start\\n");
#if CASE == 1
  return divide(10, zero);
#elif CASE == 2
  return fp();
#elif CASE == 3
  fp = (int (*)(void))0xdeadbee0; return fp();
#elif CASE == 4
  return deep(0);
#elif CASE == 5
  shallow(0); return guarded == 12345 ? 0 : 99;
#elif CASE == 6
  return huge();
#elif CASE == 7
  return *(volatile int *)0x7ffffff0;
#endif
  return 0;
}
`;
const src = join(dir, 'faults.c');
writeFileSync(src, PROGRAM);

async function runCase(n: number, flags: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const img = join(dir, `case${n}${flags.join('')}.img`);
  const io = bufferIo();
  const built = await main(['cc', ...flags, `-DCASE=${n}`, src, '-o', img], io);
  if (built !== 0) throw new Error(io.err);
  const run = bufferIo();
  const code = await main(['run', img], run);
  return { code, out: run.out, err: run.err };
}

// -O2 (the default) keeps no frame pointer: the backtrace comes from the return addresses on the
// stack; -O0 keeps the ebp chain, which the backtrace follows.
for (const flags of [[], ['-O0']]) {
  t.test(`divide by zero: the exception, the function and offset, a backtrace (${flags[0] ?? 'default -O2'})`, async (t) => {
    const r = await runCase(1, flags);
    t.equal(r.code, 125);
    t.equal(r.out, 'start\n');
    t.match(r.err, /^vamos: guest fault: divide error \(#DE\) at 0x[0-9a-f]+ \(divide\+0x[0-9a-f]+\)\n/);
    t.match(r.err, /\n  #0 0x[0-9a-f]+ in divide\+0x[0-9a-f]+\n  #1 0x[0-9a-f]+ in main\+0x[0-9a-f]+\n  #2 0x[0-9a-f]+ in _start\+0x[0-9a-f]+\n  eax/);
    t.notMatch(r.err, /triple fault/);
  });
}

t.test('a null function pointer: an instruction fetch from 0, called from main', async (t) => {
  const r = await runCase(2);
  t.equal(r.code, 125);
  t.match(r.err, /^vamos: guest fault: page fault \(#PF\): instruction fetch from 0x0 \(a null pointer\) at 0x0\n  #0 0x0\n  #1 0x[0-9a-f]+ in main\+/);
});

t.test('a wild function pointer: an instruction fetch from unmapped memory', async (t) => {
  const r = await runCase(3);
  t.equal(r.code, 125);
  t.match(r.err, /^vamos: guest fault: page fault \(#PF\): instruction fetch from 0xdeadbee0 \(not mapped/);
  t.match(r.err, /#1 0x[0-9a-f]+ in main\+/);
});

t.test('runaway recursion: a stack overflow, with the recursing function', async (t) => {
  const r = await runCase(4);
  t.equal(r.code, 125);
  t.match(r.err, /^vamos: guest shut down: triple fault: stack overflow \(esp 0x[0-9a-f]+ is below the stack, in unmapped memory\) at 0x[0-9a-f]+ \(deep\+0x[0-9a-f]+\)\n/);
  t.match(r.err, /#1 0x[0-9a-f]+ in deep\+/);
});

t.test('an overflow that stops short of the code faults in the guard instead of corrupting globals', async (t) => {
  const r = await runCase(5);
  t.equal(r.code, 125, r.err);
  t.match(r.err, /stack overflow .* \(shallow\+0x[0-9a-f]+\)/);
});

t.test('a 100 MB local array: a fault, not 0xFF from unbacked memory', async (t) => {
  const r = await runCase(6);
  t.equal(r.code, 125);
  t.match(r.err, /stack overflow .* \(huge\+0x[0-9a-f]+\)/);
});

t.test('a read outside RAM faults visibly', async (t) => {
  const r = await runCase(7);
  t.equal(r.code, 125);
  t.match(r.err, /^vamos: guest fault: page fault \(#PF\): read of 0x7ffffff0 \(not mapped/);
});
