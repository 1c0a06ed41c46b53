/**
 * `vamos boot` with the platform flags (--disk, --net, --iommu, a boot disk as the positional
 * file): every bad flag or missing file is one line and exit code 2 (usage) or 1 (bad input);
 * good ones attach the devices. docs/cli.md.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/vamos.js';
import { bufferIo } from '../../cli/io.js';
import { parseDiskFlag, parseNetFlag } from '../../cli/boot.js';
import { assemble } from '../../toolchain/as/assemble.js';
import { writeImage } from '../../toolchain/image/write.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-platform-cli-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const seven = join(dir, 'seven.img');
writeFileSync(seven, writeImage(assemble('_start:\n    mov eax, 7\n    outd 0xf4, eax\n    hlt\n', { file: 'seven.s' }).image));
/** Reads the device id of slot N (N given as 0xD000N000) and powers off with it. */
function slotProbe(base: number): string {
  const path = join(dir, `probe-${base.toString(16)}.img`);
  writeFileSync(path, writeImage(assemble(`_start:\n    mov eax, [${base + 8}]\n    outd 0xf4, eax\n    hlt\n`, { file: 'probe.s' }).image));
  return path;
}
const disk = join(dir, 'data.img');
writeFileSync(disk, new Uint8Array(64 * 1024));
const oddDisk = join(dir, 'odd.img');
writeFileSync(oddDisk, new Uint8Array(1000));

t.test('usage errors: one line, the usage, exit code 2', async (t) => {
  for (const [argv, msg] of [
    [['--disk'], /^vamos boot: --disk needs a value/],
    [['--disk', `${disk},rx`], /^vamos boot: --disk: unknown option 'rx'/],
    [['--disk', ',ro'], /^vamos boot: --disk: empty path/],
    [['--net', 'tcp:80'], /^vamos boot: --net: 'tcp:80' is not udp:HOSTPORT/],
    [['--net', 'udp:0'], /^vamos boot: --net: HOSTPORT in 'udp:0' must be a port number 1\.\.65535/],
    [['--net', 'udp:80:99999'], /GUESTPORT in 'udp:80:99999'/],
    [['--net', 'socket:1'], /is not udp:HOSTPORT/],
    [['--net', 'udp:x'], /HOSTPORT in 'udp:x'/],
    [['--iommu=yes'], /^vamos boot: --iommu takes no value/],
    [['--disk', disk, '--disk', disk, '--disk', disk, '--disk', disk, '--net', 'udp:5000'], /^vamos boot: 5 virtio devices \(4 --disk, 1 --net\): the machine has 4 slots/],
    [[seven, seven], /^vamos boot: boot takes one image or disk, got 2/],
  ] as const) {
    const r = await run('boot', ...argv);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.err, msg);
    t.match(r.err.split('\n')[1], /^usage: vamos boot/, 'then the usage');
  }
});

t.test('bad input: one line, exit code 1', async (t) => {
  for (const [argv, msg] of [
    [['--disk', join(dir, 'missing.img')], /^vamos boot: disk .*missing\.img: cannot open read-write: no such file\n$/],
    [['--disk', `${join(dir, 'missing.img')},ro`], /cannot open read-only: no such file\n$/],
    [['--disk', oddDisk], /size 1000 is not a multiple of 512 bytes\n$/],
    [['--disk', dir], /not a regular file|is a directory/],
    [[join(dir, 'missing.img')], /^vamos boot: .*missing\.img: cannot read: ENOENT\n$/],
  ] as const) {
    const r = await run('boot', ...argv);
    t.equal(r.code, 1, argv.join(' '));
    t.match(r.err, msg);
    t.equal(r.err.split('\n').length, 2, 'one line');
  }
});

t.test('--disk attaches disks in slot order, read-only with ,ro', async (t) => {
  t.same(parseDiskFlag('a.img'), { path: 'a.img', readOnly: false });
  t.same(parseDiskFlag('a,b.img,ro'), { path: 'a,b.img', readOnly: true });
  t.same(parseDiskFlag('a.img,rw'), { path: 'a.img', readOnly: false });
  let r = await run('boot', '--disk', disk, slotProbe(0xd0000000));
  t.equal(r.code, 2, 'slot 0 holds a block device (id 2)');
  r = await run('boot', '--disk', disk, '--disk', `${disk},ro`, '--net', 'none', slotProbe(0xd0001000));
  t.equal(r.code, 2, 'slot 1 holds the second disk');
  r = await run('boot', '--disk', disk, '--disk', `${disk},ro`, '--net', 'none', slotProbe(0xd0002000));
  t.equal(r.code, 255, 'slot 2 is empty: the read hits nothing and gives all ones');
});

/** A port nobody uses right now (bound and released: a small race, fine on 127.0.0.1). */
async function freePort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('--net parses', async (t) => {
  t.same(parseNetFlag('udp:5555'), { kind: 'udp', hostPort: 5555, guestPort: 5555 });
  t.same(parseNetFlag('udp:5555:7'), { kind: 'udp', hostPort: 5555, guestPort: 7 });
  t.same(parseNetFlag('socket:0:6000'), { kind: 'socket', localPort: 0, remotePort: 6000 });
  t.equal(parseNetFlag('none'), undefined);
});

t.test('--net udp runs asynchronously and still returns the guest exit code; --stats names the devices', async (t) => {
  const r = await run('boot', '--net', `udp:${await freePort()}:7`, '--iommu', '--stats', '--disk', disk, seven);
  t.equal(r.code, 7, r.err);
  t.match(r.out, /virtio-blk0 \(slot 0, 0xd0000000, irq 5\): /);
  t.match(r.out, /virtio-net0 \(slot 1, 0xd0001000, irq 6\): /);
  t.match(r.out, /iommu \(0xfed90000, irq 9\): /);
  const s = await run('boot', '--net', 'socket:0:41235', seven);
  t.equal(s.code, 7, s.err);
});

t.test('a taken UDP port is a one-line error, exit 1', async (t) => {
  const { createSocket } = await import('node:dgram');
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  const r = await run('boot', '--net', `udp:${sock.address().port}`, seven);
  t.equal(r.code, 1);
  t.match(r.err, /^vamos boot: net udp: cannot bind 127\.0\.0\.1:\d+: EADDRINUSE\n$/);
});

t.test('a file that starts with "VBFS" is a boot disk, not an image', async (t) => {
  const vbfs = join(dir, 'boot.img');
  const bytes = new Uint8Array(8192);
  bytes.set(new TextEncoder().encode('VBFS'));
  writeFileSync(vbfs, bytes);
  const r = await run('boot', '--max-instructions', '5M', vbfs);
  t.not(r.code, 1, 'not refused as a malformed image');
  t.not(r.code, 2);
  t.notMatch(r.err, /image|MXI/i);
});

t.test('mkdisk is registered', async (t) => {
  const r = await run('mkdisk', '--help');
  t.equal(r.code, 0);
  t.match(r.out, /^usage: vamos mkdisk/);
  const top = await run('--help');
  t.match(top.out, /\n {2}mkdisk {4}/);
});
