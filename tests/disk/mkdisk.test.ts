import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdiskMain, mkdiskUsage, parseDiskSize } from '../../cli/mkdisk.js';
import { bufferIo } from '../../cli/io.js';
import { BOOTFS_F_BOOT, BOOTFS_F_EXEC, readBootDisk } from '../../toolchain/disk/bootfs.js';
import { writeImage } from '../../toolchain/image/write.js';
import { SEG_R, SEG_X } from '../../toolchain/image/format.js';

function image(fill: number): Uint8Array {
  return writeImage({
    entry: 0x100000,
    segments: [{ name: 'text', paddr: 0x100000, vaddr: 0x100000, data: new Uint8Array(40).fill(fill), memSize: 64, flags: SEG_R | SEG_X }],
    symbols: [],
  });
}

const dir = mkdtempSync(join(tmpdir(), 'vamos-mkdisk-'));
const kernel = join(dir, 'kernel.img');
const hello = join(dir, 'hello.img');
const other = join(dir, 'other.img');
writeFileSync(kernel, image(1));
writeFileSync(hello, image(2));
writeFileSync(other, image(3));
writeFileSync(join(dir, 'junk.img'), 'not an image');

function run(...argv: string[]): { code: number; out: string; err: string } {
  const io = bufferIo();
  const code = mkdiskMain(argv, io);
  return { code, out: io.out, err: io.err };
}

t.test('builds a disk from a kernel and programs', async (t) => {
  const out = join(dir, 'disk.img');
  const r = run('-o', out, '--kernel', kernel, '--cmdline', 'run=hello,x', hello, `x=${other}`);
  t.equal(r.code, 0, r.err);
  const d = readBootDisk(new Uint8Array(readFileSync(out)), out);
  t.equal(d.cmdline, 'run=hello,x');
  t.same(d.files.map((f) => [f.name, f.flags]), [['kernel', BOOTFS_F_BOOT], ['hello', BOOTFS_F_EXEC], ['x', BOOTFS_F_EXEC]]);
  t.same(d.kernel.data, image(1));
  t.same(d.files[2]!.data, image(3));
  t.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length, 0, 'no temporary file left');
});

t.test('--size pads the disk', async (t) => {
  const out = join(dir, 'big.img');
  t.equal(run('-o', out, '--kernel', kernel, '--size', '1M').code, 0);
  t.equal(readFileSync(out).length, 1024 * 1024);
  t.equal(run('-o', out, '--kernel', kernel, '--size', '100').code, 0);
  t.equal(readFileSync(out).length, 100 * 512);
  t.equal(parseDiskSize('64K'), 128);
  t.throws(() => parseDiskSize('1k5'));
  t.equal(parseDiskSize('1K'), 2);
});

t.test('bad input: one line, exit 1, no output file', async (t) => {
  const out = join(dir, 'bad.img');
  const cases: [string[], RegExp][] = [
    [['--kernel', join(dir, 'junk.img')], /^vamos mkdisk: .*junk\.img: bad magic: expected "MXI1"/],
    [['--kernel', join(dir, 'missing.img')], /missing\.img: cannot read: no such file/],
    [['--kernel', kernel, join(dir, 'junk.img')], /junk\.img: bad magic/],
    [['--kernel', kernel, `a b=${hello}`], /bad file name: "a b"/],
    [['--kernel', kernel, `kernel=${hello}`], /duplicate file name: "kernel"/],
    [['--kernel', kernel, hello, hello], /duplicate file name: "hello"/],
    [['--kernel', kernel, '--size', '2'], /too small: the files need 3 sectors but the disk size is 2 sectors/],
    [['--kernel', kernel, '--cmdline', 'a\tb'], /bad command line/],
  ];
  for (const [args, re] of cases) {
    const r = run('-o', out, ...args);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.err, re);
    t.equal(r.err.trim().split('\n').length, 1, 'one line');
    t.notOk(existsSync(out), 'no disk written');
  }
  const r = run('-o', join(dir, 'no', 'such', 'dir.img'), '--kernel', kernel);
  t.equal(r.code, 1);
  t.match(r.err, /cannot write: no such directory/);
});

t.test('usage errors exit 2', async (t) => {
  for (const args of [[], ['--kernel', kernel], ['-o', 'x.img'], ['-o', 'x.img', '--bogus'],
    ['-o', 'x.img', '--default', '--kernel', kernel], ['-o', 'x.img', '--default', hello], ['-o', 'x.img', '--kernel', kernel, '--size', 'big']]) {
    const r = run(...args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, /^vamos mkdisk: .*\nusage: vamos mkdisk/);
  }
  const h = run('--help');
  t.equal(h.code, 0);
  t.equal(h.out, mkdiskUsage());
});

t.test('a failed run leaves an existing disk untouched', async (t) => {
  const out = join(dir, 'keep.img');
  writeFileSync(out, 'old');
  t.equal(run('-o', out, '--kernel', join(dir, 'junk.img')).code, 1);
  t.equal(readFileSync(out, 'utf8'), 'old');
});
