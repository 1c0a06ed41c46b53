/**
 * The project's default disk (toolchain/disk/default-disk.ts): the kernel and every user
 * program, readable back, and bootable end to end through the firmware; and `vamos mkdisk
 * --default`.
 */
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CMDLINE, buildDefaultDisk, defaultProgramNames } from '../../toolchain/disk/default-disk.js';
import { BOOTFS_F_BOOT, BOOTFS_F_EXEC, BOOTFS_SECTOR, readBootDisk } from '../../toolchain/disk/bootfs.js';
import { buildKernel, buildUserProgram } from '../../guest-os/os-build.js';
import { writeImage } from '../../toolchain/image/write.js';
import { bootRom } from '../../firmware/build.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { readBootInfo } from '../../vmm/bootinfo.js';
import { Vm } from '../../vmm/vm.js';
import { mkdiskMain } from '../../cli/mkdisk.js';
import { bufferIo } from '../../cli/io.js';

const disk = buildDefaultDisk();
// tap's deep comparison walks arrays element by element; whole images compare faster as Buffers.
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

t.test('the default disk holds the kernel and every user program', async (t) => {
  const d = readBootDisk(disk, 'default disk');
  t.equal(d.cmdline, DEFAULT_CMDLINE);
  t.equal(DEFAULT_CMDLINE, 'run=hello');
  t.same(d.files.map((f) => f.name), ['kernel', ...defaultProgramNames()]);
  t.ok(defaultProgramNames().includes('init') && defaultProgramNames().includes('hello'), 'init and hello are there');
  t.notOk(defaultProgramNames().includes('lib') || defaultProgramNames().includes('include'), 'shared folders are not programs');
  t.equal(d.kernel.flags, BOOTFS_F_BOOT);
  t.ok(same(d.kernel.data, writeImage(buildKernel(), 'kernel')), 'the kernel intact');
  for (const f of d.files.slice(1)) {
    t.equal(f.flags, BOOTFS_F_EXEC, f.name);
    t.ok(same(f.data, writeImage(buildUserProgram(f.name), f.name)), `${f.name} intact`);
  }
  const custom = readBootDisk(buildDefaultDisk({ cmdline: 'run=init', sectors: 4096 }), 'custom');
  t.equal(custom.cmdline, 'run=init');
  t.equal(custom.totalSectors, 4096);
});

t.test('the firmware boots it to init and a clean power-off', async (t) => {
  let out = '';
  const vm = new Vm({
    firmware: bootRom(), maxInstructions: 200_000_000,
    disks: [{ backend: new MemoryBackend(disk.length / BOOTFS_SECTOR, true, disk) }],
    console: (b) => { out += String.fromCharCode(b); },
  });
  const result = vm.run();
  t.equal(result.stop, 'poweroff', result.message);
  t.equal(result.exitCode, 0, out);
  t.match(out, /hello from pid/);
  t.match(out, /init: hello exited with status 0/);
  t.notMatch(out, /bootrom:/);
  t.equal(vm.romWrites, 0);
  const info = readBootInfo(vm.mem);
  t.equal(info?.cmdline, DEFAULT_CMDLINE, 'the disk default reached the kernel');
});

t.test('vamos mkdisk --default writes the same disk', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'vamos-default-')), 'disk.img');
  const io = bufferIo();
  t.equal(mkdiskMain(['--default', '-o', out], io), 0, io.err);
  t.ok(same(new Uint8Array(readFileSync(out)), disk), 'the same bytes');
  t.equal(mkdiskMain(['--default', '-o', out, '--cmdline', 'run=init', '--size', '4M'], io), 0, io.err);
  const d = readBootDisk(new Uint8Array(readFileSync(out)), out);
  t.equal(d.cmdline, 'run=init');
  t.equal(d.totalSectors, 8192);
});
