import t from 'tap';
import fc from 'fast-check';
import {
  BOOTFS_F_BOOT, BOOTFS_F_EXEC, BOOTFS_SECTOR, DiskError, isBootDisk, makeBootDisk, readBootDisk,
} from '../../toolchain/disk/bootfs.js';
import { crc32 } from '../../toolchain/disk/crc32.js';

// Offsets from guest-os/include/bootfs.h.
const SB = { magic: 0x00, version: 0x04, total: 0x08, count: 0x0c, dirSector: 0x10, dirSectors: 0x14, dirSum: 0x18, cmdLen: 0x1c };
const E = { name: 0x00, start: 0x30, size: 0x34, flags: 0x38, sum: 0x3c };
const entryAt = (i: number): number => BOOTFS_SECTOR + i * 64;

function baseDisk(): Uint8Array {
  return makeBootDisk({
    kernel: Uint8Array.from({ length: 1300 }, (_, i) => i & 0xff),
    files: [
      { name: 'init', data: Uint8Array.from({ length: 700 }, (_, i) => (i * 7) & 0xff), exec: true },
      { name: 'notes.txt', data: new TextEncoder().encode('hello') },
    ],
    cmdline: 'run=hello iommu=off',
    sectors: 16,
  });
}

function caught(f: () => unknown): Error | undefined {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Re-seals the directory checksum after an edit, so the check under test is the one that fires. */
function reseal(bytes: Uint8Array): void {
  const v = view(bytes);
  const dir = bytes.subarray(v.getUint32(SB.dirSector, true) * BOOTFS_SECTOR,
    v.getUint32(SB.dirSector, true) * BOOTFS_SECTOR + v.getUint32(SB.count, true) * 64);
  v.setUint32(SB.dirSum, crc32(dir), true);
}

function patched(edit: (v: DataView, b: Uint8Array) => void, resealDir = true): Uint8Array {
  const b = baseDisk();
  edit(view(b), b);
  if (resealDir) reseal(b);
  return b;
}

t.test('crc32 is the IEEE one', async (t) => {
  t.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  t.equal(crc32(new Uint8Array(0)), 0);
});

t.test('layout of a small disk', async (t) => {
  const b = baseDisk();
  const v = view(b);
  t.equal(b.length, 16 * BOOTFS_SECTOR);
  t.equal(v.getUint32(SB.magic, true), 0x53464256);
  t.equal(String.fromCharCode(...b.subarray(0, 4)), 'VBFS');
  t.equal(v.getUint32(SB.total, true), 16);
  t.equal(v.getUint32(SB.count, true), 3);
  t.equal(v.getUint32(SB.dirSector, true), 1);
  t.equal(v.getUint32(SB.dirSectors, true), 1);
  t.equal(v.getUint32(SB.cmdLen, true), 19);
  const d = readBootDisk(b, 'disk.img');
  t.equal(d.cmdline, 'run=hello iommu=off');
  t.same(d.files.map((f) => [f.name, f.startSector, f.size, f.flags]), [
    ['kernel', 2, 1300, BOOTFS_F_BOOT], ['init', 5, 700, BOOTFS_F_EXEC], ['notes.txt', 7, 5, 0],
  ]);
  t.equal(d.kernel.name, 'kernel');
  t.ok(isBootDisk(b));
  t.notOk(isBootDisk(new Uint8Array(512)));
  t.notOk(isBootDisk(b.subarray(0, 100)));
});

t.test('round trip of random file sets', async (t) => {
  const name = fc.stringMatching(/^[A-Za-z0-9._-]{1,47}$/).filter((n) => n !== '.' && n !== '..' && n !== 'kernel');
  const file = fc.record({ name, data: fc.uint8Array({ maxLength: 3000 }), exec: fc.boolean() });
  const spec = fc.record({
    kernel: fc.uint8Array({ maxLength: 5000 }),
    files: fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 20 }),
    cmdline: fc.stringMatching(/^[\x20-\x7e]{0,447}$/),
    pad: fc.nat(40),
  });
  fc.assert(fc.property(spec, (s) => {
    const minimal = makeBootDisk({ kernel: s.kernel, files: s.files, cmdline: s.cmdline });
    const sectors = minimal.length / BOOTFS_SECTOR + s.pad;
    const bytes = makeBootDisk({ kernel: s.kernel, files: s.files, cmdline: s.cmdline, sectors });
    const d = readBootDisk(bytes, 'disk.img');
    t.equal(d.totalSectors, sectors);
    t.equal(d.cmdline, s.cmdline);
    t.same(Array.from(d.kernel.data), Array.from(s.kernel));
    t.same(d.files.slice(1).map((f) => ({ name: f.name, data: Array.from(f.data), exec: f.flags === BOOTFS_F_EXEC })),
      s.files.map((f) => ({ name: f.name, data: Array.from(f.data), exec: f.exec })));
    // Deterministic: same input, same bytes.
    t.same(makeBootDisk({ kernel: s.kernel, files: s.files, cmdline: s.cmdline, sectors }), bytes);
  }), { numRuns: 60 });
});

t.test('makeBootDisk refuses what the format cannot carry', async (t) => {
  const k = new Uint8Array(10);
  const cases: [Parameters<typeof makeBootDisk>[0], RegExp][] = [
    [{ kernel: k, files: [{ name: 'a b', data: k }] }, /bad file name: "a b" may contain only/],
    [{ kernel: k, files: [{ name: '', data: k }] }, /bad file name: "" is empty/],
    [{ kernel: k, files: [{ name: 'x'.repeat(48), data: k }] }, /is 48 bytes long \(the limit is 47\)/],
    [{ kernel: k, files: [{ name: '..', data: k }] }, /".." is reserved/],
    [{ kernel: k, files: [{ name: 'kernel', data: k }] }, /duplicate file name: "kernel"/],
    [{ kernel: k, files: [{ name: 'a', data: k }, { name: 'a', data: k }] }, /duplicate file name: "a"/],
    [{ kernel: k, files: [], cmdline: 'x\ny' }, /bad command line: .*printable ASCII/],
    [{ kernel: k, files: [], cmdline: 'x'.repeat(448) }, /448 bytes long \(the limit is 447\)/],
    [{ kernel: k, files: [], sectors: 2 }, /too small: the files need 3 sectors but the disk size is 2 sectors/],
  ];
  for (const [opts, re] of cases) {
    const e = caught(() => makeBootDisk({ ...opts, source: 'out.img' }));
    t.ok(e instanceof DiskError && e.message.startsWith('out.img: '), String(re));
    t.match(e?.message, re);
  }
});

t.test('every corruption is refused with one clear line', async (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', baseDisk().subarray(0, 100), /truncated: the superblock needs 512 bytes but the image has 100/],
    ['magic', patched((v) => v.setUint32(0, 0x464c457f, true)), /bad magic: expected "VBFS" but found 7f 45 4c 46 \("\.ELF"\)/],
    ['version', patched((v) => v.setUint32(SB.version, 2, true)), /unsupported version 2 \(this reader knows version 1\)/],
    ['reserved', patched((_, b) => { b[0x24] = 1; }), /reserved bytes 0x20\.\.0x3f are not zero/],
    ['total', patched((v) => v.setUint32(SB.total, 17, true)), /truncated: the superblock says 17 sectors but the image has 16/],
    ['total huge', patched((v) => v.setUint32(SB.total, 0xffffffff, true)), /says 4294967295 sectors but the image has 16/],
    ['cmdline len', patched((v) => v.setUint32(SB.cmdLen, 500, true)), /bad command line: length 500 is more than 447/],
    ['cmdline char', patched((_, b) => { b[0x41] = 7; }), /not printable ASCII/],
    ['cmdline tail', patched((_, b) => { b[0x100] = 0x41; }), /bytes after its 19 characters are not all NUL/],
    ['no files', patched((v) => v.setUint32(SB.count, 0, true), false), /no kernel: the directory is empty/],
    ['dir sector 0', patched((v) => v.setUint32(SB.dirSector, 0, true), false), /starts in sector 0/],
    ['dir sectors', patched((v) => v.setUint32(SB.dirSectors, 3, true)), /3 entries need 1 sectors but the superblock says 3/],
    ['count beyond', patched((v) => { v.setUint32(SB.count, 1000, true); v.setUint32(SB.dirSectors, 125, true); }, false),
      /bad directory: sectors 1\.\.125 run past the end of the disk \(16 sectors\)/],
    ['count huge', patched((v) => { v.setUint32(SB.count, 0xffffffff, true); }, false), /need 536870912 sectors but the superblock says 1/],
    ['dir outside', patched((v) => v.setUint32(SB.dirSector, 16, true), false), /sectors 16\.\.16 run past the end/],
    ['dir checksum', patched((_, b) => { b[entryAt(1) + 0x20] = 1; }, false), /bad directory checksum: the superblock says 0x[0-9a-f]{8} but the directory's CRC-32 is 0x[0-9a-f]{8}/],
    ['name chars', patched((_, b) => { b[entryAt(1)] = 0x20; }), /bad file name: entry 1 name " nit" may contain only/],
    ['name empty', patched((_, b) => { b[entryAt(1)] = 0; }), /bad file name: entry 1 name "" is empty|has bytes after its NUL/],
    ['name no NUL', patched((_, b) => { b.fill(0x61, entryAt(2), entryAt(2) + 48); }), /entry 2 has no NUL in its 48 name bytes/],
    ['name tail', patched((_, b) => { b[entryAt(1) + 40] = 0x61; }), /entry 1 "init" has bytes after its NUL/],
    ['duplicate', patched((_, b) => { b.set(new TextEncoder().encode('init\0\0\0\0\0\0'), entryAt(2)); }),
      /duplicate file name: entries 1 and 2 are both "init"/],
    ['flags', patched((v) => v.setUint32(entryAt(1) + E.flags, 8, true)), /entry 1 "init" has unknown flag bits 0x8/],
    ['boot+exec', patched((v) => v.setUint32(entryAt(1) + E.flags, 3, true)), /entry 1 "init" is both the kernel/],
    ['two kernels', patched((v) => v.setUint32(entryAt(1) + E.flags, 1, true)), /two kernels: entries 0 and 1 both have the BOOT flag/],
    ['no kernel', patched((v) => v.setUint32(entryAt(0) + E.flags, 0, true)), /no kernel: no directory entry has the BOOT flag/],
    ['in directory', patched((v) => v.setUint32(entryAt(1) + E.start, 1, true)), /entry 1 "init" starts in sector 1, before the end of the directory \(sector 2\)/],
    ['outside', patched((v) => v.setUint32(entryAt(1) + E.start, 15, true)), /entry 1 "init" \(700 bytes from sector 15\) runs past the end of the disk \(16 sectors\)/],
    ['size huge', patched((v) => v.setUint32(entryAt(1) + E.size, 0xffffffff, true)), /entry 1 "init" \(4294967295 bytes from sector 5\) runs past/],
    ['overlap', patched((v, b) => {
      v.setUint32(entryAt(2) + E.start, 6, true);
      v.setUint32(entryAt(2) + E.sum, crc32(b.subarray(6 * 512, 6 * 512 + 5)), true);
    }), /overlap: entry 2 "notes.txt" \(sectors 6\.\.6\) shares sectors with entry 1 "init" \(sectors 5\.\.6\)/],
    ['file checksum', patched((_, b) => { b[5 * 512 + 3] ^= 1; }, false), /bad file checksum: entry 1 "init" should have CRC-32 0x[0-9a-f]{8} but has 0x[0-9a-f]{8}/],
    ['kernel checksum', patched((_, b) => { b[2 * 512 + 1299] ^= 0x80; }, false), /bad file checksum: entry 0 "kernel"/],
  ];
  for (const [what, bytes, re] of cases) {
    const e = caught(() => readBootDisk(bytes, 'disk.img'));
    t.ok(e instanceof DiskError && e.message.startsWith('disk.img: ') && !e.message.includes('\n'), what);
    t.match(e?.message, re, what);
  }
});

t.test('random damage: only DiskError, always one line', async (t) => {
  const base = baseDisk();
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.boolean(), (edits, resealDir) => {
      const b = new Uint8Array(base);
      for (const [at, v] of edits) b[at] = v;
      if (resealDir && view(b).getUint32(SB.count, true) < 100) {
        try { reseal(b); } catch { /* out of range: leave as is */ }
      }
      try {
        readBootDisk(b, 'disk.img');
      } catch (e) {
        if (!(e instanceof DiskError) || e.message.includes('\n')) throw e;
      }
    }), { numRuns: 500 });
  t.pass('no stray exceptions');
});
