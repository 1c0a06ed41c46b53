import t from 'tap';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asMain, AS_USAGE, defaultOutput, parseNumberArg } from '../../toolchain/as/cli.js';
import { disassembleImage, objdumpMain, OBJDUMP_USAGE } from '../../toolchain/objdump.js';
import type { Image } from '../../toolchain/image/format.js';
import { readImage } from '../../toolchain/image/read.js';

function run(main: (argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }) => number, argv: string[]) {
  const io = { out: '', err: '', stdout(s: string) { io.out += s; }, stderr(s: string) { io.err += s; } };
  const code = main(argv, io);
  return { code, out: io.out, err: io.err };
}

const HELLO = `
; hello world for a machine with a serial port at 0x3f8 and a power-off port at 0xf4
.equ SERIAL, 0x3f8
.equ POWEROFF, 0xf4
.text
_start:
    mov esi, msg
.next:
    movzxb eax, [esi]
    test eax, eax
    je .done
    outb SERIAL, eax
    inc esi
    jmp .next
.done:
    mov eax, 0
    outd POWEROFF, eax
.data
msg: .asciz "hello, world\\n"
`;

t.test('as: usage errors exit 2 with a one-line message and the usage', async (t) => {
  for (const [argv, msg] of [
    [['--frob', 'x.s'], "vamos as: unknown option '--frob'"],
    [['-o'], 'vamos as: -o needs a value'],
    [['--text-base', 'zz', 'x.s'], "vamos as: --text-base: 'zz' is not a 32-bit unsigned number"],
    [['--text-base=0x100000000', 'x.s'], "vamos as: --text-base: '0x100000000' is not a 32-bit unsigned number"],
    [[], 'vamos as: no source file given'],
    [['a.s', 'b.s'], 'vamos as: one source file at a time (got 2)'],
    [['--listing=1', 'a.s'], 'vamos as: --listing takes no value'],
  ] as const) {
    const r = run(asMain, [...argv]);
    t.equal(r.code, 2, argv.join(' '));
    t.equal(r.err, `${msg}\n${AS_USAGE}`);
    t.equal(r.out, '');
  }
  const help = run(asMain, ['--help']);
  t.equal(help.code, 0);
  t.equal(help.out, AS_USAGE);
});

t.test('as: assembles a file to an image; objdump shows it', async (t) => {
  const dir = t.testdir({ 'hello.s': HELLO, 'inc': { 'defs.inc': 'VALUE = 7' }, 'use.s': '.include "defs.inc"\nmov eax, VALUE' });
  const src = join(dir, 'hello.s');
  const r = run(asMain, [src]);
  t.equal(r.code, 0, r.err);
  const img = readImage(readFileSync(join(dir, 'hello.img')), 'hello.img');
  t.equal(img.entry, 0x100000);
  t.strictSame(img.segments.map((s) => s.name), ['.text', '.data']);

  const dump = run(objdumpMain, ['--syms', join(dir, 'hello.img')]);
  t.equal(dump.code, 0, dump.err);
  t.match(dump.out, /entry 0x00100000/);
  t.match(dump.out, /\.text\s+0x00100000\s+0x00100000\s+0x00000038\s+0x00000038\s+r-x/);
  t.match(dump.out, /\.data\s+0x00101000\s+0x00101000\s+0x0000000e\s+0x0000000e\s+rw-/);
  t.match(dump.out, /0x00100000\s+0x00000038\s+func\s+_start/);
  t.match(dump.out, /0x00101000\s+0x0000000e\s+object\s+msg/);
  t.match(dump.out, /<_start\.next>:\n\s+00100008:\s+06 e0 00 00 00 00 00 00\s+movzxb eax, \[esi\]/);
  t.match(dump.out, /outb 0x3f8, eax/);
  t.notMatch(run(objdumpMain, [join(dir, 'hello.img')]).out, /symbols:/, 'symbols only with --syms');

  const out = join(dir, 'other.bin');
  const listing = run(asMain, ['--listing', '-o', out, '--text-base', '0x2000', '--entry=_start.done', src]);
  t.equal(listing.code, 0, listing.err);
  t.ok(existsSync(out));
  t.equal(readImage(readFileSync(out)).entry, 0x2000 + 0x2c);
  t.match(listing.out, /^00002000  02 06 00 00 00 30 00 00\s+mov esi, msg$/m);

  t.equal(run(asMain, ['-I', join(dir, 'inc'), join(dir, 'use.s')]).code, 0, '-I DIR');
  t.equal(run(asMain, [`-I${join(dir, 'inc')}`, join(dir, 'use.s')]).code, 0, '-IDIR');
  t.equal(run(asMain, [join(dir, 'use.s')]).code, 1, 'include not found without -I');
});

t.test('as: assembly errors exit 1 with diagnostics', async (t) => {
  const dir = t.testdir({ 'bad.s': 'nop\n  frob eax\n', 'nodata.s': '.data\n.byte 1\n' });
  const r = run(asMain, [join(dir, 'bad.s')]);
  t.equal(r.code, 1);
  t.equal(r.err, `${join(dir, 'bad.s')}:2:3: error: unknown instruction 'frob'\n  frob eax\n  ^\n`);
  t.notOk(existsSync(join(dir, 'bad.img')));
  const missing = run(asMain, [join(dir, 'missing.s')]);
  t.equal(missing.code, 1);
  t.match(missing.err, /^vamos as: cannot read '.*missing\.s': .*\n$/);
  const noText = run(asMain, [join(dir, 'nodata.s')]);
  t.equal(noText.code, 1, 'an image without code is refused by the image writer');
  t.match(noText.err, /entry point .* is not inside an executable segment/);
});

t.test('objdump: usage and bad images', async (t) => {
  const dir = t.testdir({ 'junk.img': 'not an image at all, just text', 'empty.img': '' });
  for (const [argv, msg] of [
    [['--frob', 'a.img'], "vamos objdump: unknown option '--frob'"],
    [[], 'vamos objdump: no image file given'],
    [['a.img', 'b.img'], 'vamos objdump: one image at a time (got 2)'],
  ] as const) {
    const r = run(objdumpMain, [...argv]);
    t.equal(r.code, 2);
    t.equal(r.err, `${msg}\n${OBJDUMP_USAGE}`);
  }
  t.equal(run(objdumpMain, ['--help']).out, OBJDUMP_USAGE);
  for (const name of ['junk.img', 'empty.img']) {
    const r = run(objdumpMain, [join(dir, name)]);
    t.equal(r.code, 1, name);
    t.match(r.err, new RegExp(`^vamos objdump: ${join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [^\\n]+\\n$`), 'one line naming the file');
    t.equal(r.out, '');
  }
  const missing = run(objdumpMain, [join(dir, 'missing.img')]);
  t.equal(missing.code, 1);
  t.match(missing.err, /^vamos objdump: cannot read '.*missing\.img': [^\n]+\n$/);
});

t.test('helpers', async (t) => {
  t.equal(defaultOutput('dir/k.s'), 'dir/k.img');
  t.equal(defaultOutput('k.asm'), 'k.img');
  t.equal(defaultOutput('k'), 'k.img');
  t.equal(parseNumberArg('0x10', '-x'), 16);
  t.equal(parseNumberArg('0b101', '-x'), 5);
  t.equal(parseNumberArg('0o17', '-x'), 15);
  t.equal(parseNumberArg('1_000', '-x'), 1000);
  t.throws(() => parseNumberArg('-1', '-x'));
  t.throws(() => parseNumberArg('', '-x'));
});

t.test('objdump restarts decoding at symbols', async (t) => {
  const dir = t.testdir({ 'mixed.s': '_start: jmp code\nmsg: .ascii "abc"\n.align 4\ncode: ret\n' });
  t.equal(run(asMain, [join(dir, 'mixed.s')]).code, 0);
  const dump = run(objdumpMain, [join(dir, 'mixed.img')]).out;
  t.match(dump, /<msg>:\n\s+00100008:\s+61 62 63 00\s+\.dword 0x636261/);
  t.match(dump, /<code>:\n\s+0010000c:\s+76 00 00 00\s+ret/);
});

t.test('disassembleImage never throws, whatever the bytes and symbols', async (t) => {
  const arbImage: fc.Arbitrary<Image> = fc.record({
    base: fc.integer({ min: 0, max: 0xffff }).map((v) => v * 4),
    data: fc.uint8Array({ maxLength: 64 }),
    offsets: fc.array(fc.integer({ min: -8, max: 72 }), { maxLength: 6 }),
  }).map(({ base, data, offsets }) => ({
    entry: base,
    segments: [{ name: '.text', vaddr: base, paddr: base, data, memSize: data.length, flags: 5 }],
    symbols: offsets.map((o, i) => ({ name: `s${i}`, value: Math.max(0, base + o), size: 0, kind: 'func' as const })),
  }));
  fc.assert(fc.property(arbImage, (img) => {
    const text = disassembleImage(img);
    // every byte is shown exactly once
    const shown = text.split('\n').flatMap((l) => /^\s+[0-9a-f]{8}:\s+((?:[0-9a-f]{2} ?)+)/.exec(l)?.[1]!.trim().split(' ') ?? []);
    return shown.length === img.segments[0]!.data.length;
  }), { numRuns: 500 });
  t.pass();
});
