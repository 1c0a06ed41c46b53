/**
 * Issue 15, items 5-9: the compiler's limits. Only real nesting may be "nested too deeply";
 * compiler-internal labels stay out of the image's symbol table, and a symbol limit still reached
 * names the source and the limit; sizes that overflow the address space, preprocessor depth and
 * huge identifiers are errors at their source line.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-cc-limits-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

t.test('item 6: a function with 17,000 ifs compiles: its branch labels are not image symbols', async (t) => {
  const src = join(dir, 'ifs.c');
  const body = Array.from({ length: 17000 }, (_, i) => `  if (x == ${i * 2}) x = x + 2;\n`).join('');
  writeFileSync(src, `int main(void) {\n  int x = 0;\n${body}  return x / 1000;\n}\n`);
  const img = join(dir, 'ifs.img');
  const cc = await run('cc', src, '-o', img);
  t.equal(cc.code, 0, cc.err);
  const r = await run('run', img);
  t.equal(r.code, 34, 'x counts up through every if');
  const syms = await run('objdump', '--syms', img);
  t.notMatch(syms.out, /main\.L\d/, 'no compiler-internal labels in the symbol table');
});

t.test('item 6: too many real symbols is one error naming the source and the limit', async (t) => {
  const src = join(dir, 'many.s');
  let text = '.text\n';
  for (let i = 0; i < 16400; i++) text += `.global f${i}\nf${i}:\n    ret\n`;
  text += '.global main\nmain:\n    mov eax, 0\n    ret\n';
  writeFileSync(src, text);
  const r = await run('cc', src, '-o', join(dir, 'many.img'));
  t.equal(r.code, 1);
  t.match(r.err, /^.*many\.s: error: the program has \d+ symbols .* more than the 16384 an image can hold\n$/);
  t.notMatch(r.err, /kernel:|image:/);
});

t.test('item 5: a long flat function is not "nested too deeply"', async (t) => {
  const src = join(dir, 'flat.c');
  writeFileSync(src, `int main(void) {\n  int x = 0;\n${'  x = x + 1;\n'.repeat(60000)}  return x / 1000;\n}\n`);
  const img = join(dir, 'flat.img');
  const cc = await run('cc', src, '-o', img);
  t.notMatch(cc.err, /nested too deeply/);
  t.equal(cc.code, 0);
  if (cc.code === 0) t.equal((await run('run', img)).code, 60);
});

t.test('item 7: a struct larger than the address space is an error at its line, not a wrapped sizeof', async (t) => {
  const src = join(dir, 'big.c');
  writeFileSync(src, 'int x;\nstruct S { char a[1073741824]; char b[1073741824]; char c[1073741824]; char d[1073741824]; char e[10]; };\nint main(void) { return sizeof(struct S); }\n');
  const r = await run('cc', src, '-o', join(dir, 'big.img'));
  t.equal(r.code, 1);
  t.match(r.err, /^.*big\.c:2:10: error: struct S is too large \(4294967306 bytes\)\n/);
  const arr = join(dir, 'arr.c');
  writeFileSync(arr, 'struct T { int a[1000]; };\nstruct T many[1000000];\nint main(void) { return 0; }\n');
  const r2 = await run('cc', arr, '-o', join(dir, 'arr.img'));
  t.equal(r2.code, 1);
  t.match(r2.err, /arr\.c:2:\d+: error: array is too large/);
});

t.test('item 8: deep macro nesting and deep #if parentheses are errors at their line, at once', async (t) => {
  const mac = join(dir, 'mac.c');
  writeFileSync(mac, `#define F(x) x\nint main(void) { return ${'F('.repeat(20000)}1${')'.repeat(20000)}; }\n`);
  let start = performance.now();
  const r = await run('cc', mac, '-o', join(dir, 'mac.img'));
  t.equal(r.code, 1);
  t.match(r.err, /^.*mac\.c:2:\d+: error: macro calls nested more than 256 deep in the arguments of 'F'\n/);
  t.notMatch(r.err, /internal|call stack/);
  t.ok(r.err.length < 2000, 'the long line is shown as a window around the column');
  t.ok(performance.now() - start < 8000, `done in ${Math.round(performance.now() - start)} ms`);
  const ifp = join(dir, 'ifp.c');
  writeFileSync(ifp, `#if ${'('.repeat(20000)}1${')'.repeat(20000)}\nint main(void) { return 0; }\n#endif\n`);
  start = performance.now();
  const r2 = await run('cc', ifp, '-o', join(dir, 'ifp.img'));
  t.equal(r2.code, 1);
  t.match(r2.err, /^.*ifp\.c:1:\d+: error: #if expression nested more than 256 deep\n/);
  t.ok(performance.now() - start < 5000);
  // Ordinary depths still work.
  const ok = join(dir, 'ok.c');
  writeFileSync(ok, `#define F(x) x\n#if ${'('.repeat(100)}1${')'.repeat(100)}\nint main(void) { return ${'F('.repeat(100)}4${')'.repeat(100)}; }\n#endif\n`);
  const img = join(dir, 'ok.img');
  t.equal((await run('cc', ok, '-o', img)).code, 0);
  t.equal((await run('run', img)).code, 4);
});

t.test('item 9: a megabyte identifier is an error at its source line', async (t) => {
  const src = join(dir, 'longid.c');
  const name = 'a'.repeat(1_000_000);
  writeFileSync(src, `int ${name}(void) { return 3; }\nint main(void) { return ${name}(); }\n`);
  const r = await run('cc', src, '-o', join(dir, 'longid.img'));
  t.equal(r.code, 1);
  t.match(r.err, /^.*longid\.c:1:5: error: identifier is 1000000 characters long \(the limit is 1000/);
  t.notMatch(r.err, /image:/);
  t.ok(r.err.length < 2000, 'the line is not echoed whole');
});
