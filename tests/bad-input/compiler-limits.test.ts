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
