/**
 * `--cpu interp|jit` (docs/jit.md): accepted by every command that runs a guest, refused with a
 * one-line usage error otherwise; both tiers give the same output, exit code and --stats table.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';
import { defaultCpuMode, setDefaultCpuMode } from '../../vmm/cpu/jit.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-cpu-'));
const image = join(dir, 'loop.img');
// A hot loop (compiled under jit) that prints a checksum digit and exits with it.
writeFileSync(image, writeImage(assemble(`
_start:
    mov ecx, 5000
    xor eax, eax
.l: add eax, ecx
    rol eax, 3
    dec ecx
    jne .l
    and eax, 7
    mov ebx, eax
    add ebx, 48
    outb 0x3f8, ebx
    outd 0xf4, eax
`, { file: 'loop.s' }).image));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  setDefaultCpuMode('jit');
  return { code, out: io.out, err: io.err };
}

t.test('boot --cpu interp and --cpu jit: same output, exit code and exit table', async (t) => {
  const a = await run('boot', '--cpu', 'interp', '--stats', image);
  const b = await run('boot', '--cpu', 'jit', '--stats', image);
  t.equal(b.code, a.code);
  t.equal(b.out, a.out);
  t.equal(b.err, a.err, 'the same --stats table, instruction count included');
  t.ok(a.out.length > 0);
});

t.test('an unknown tier is a usage error on each command', async (t) => {
  for (const cmd of [['boot', '--cpu', 'fast', image], ['run', '--cpu', 'fast', image], ['serve', '--cpu', 'fast'], ['bench', 'paper', '--cpu', 'fast']]) {
    const r = await run(...cmd);
    t.equal(r.code, 2, `${cmd[0]}: exit code 2`);
    t.match(r.err, /--cpu fast: expected interp or jit/, `${cmd[0]}: says why`);
  }
  t.equal(defaultCpuMode(), 'jit', 'the default tier is the compiler');
});
