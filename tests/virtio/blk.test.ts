import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { VirtioBlk } from '../../devices/virtio/blk/device.js';
import { MemoryBackend, type BlockBackend } from '../../devices/virtio/blk/backend.js';
import { FileBackend } from '../../devices/virtio/blk/file-backend.js';
import { VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_RO, CFG_CAPACITY, CFG_MAX_DISCARD_SEG } from '../../devices/virtio/blk/config.js';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP } from '../../devices/virtio/blk/request.js';
import { bit } from '../../devices/virtio/mmio/device.js';
import { guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { BlkDriver } from '../../testing/blk.js';

function setup(backend: BlockBackend, opts: { readOnly?: boolean; accept?: (f: bigint) => bigint; indirect?: boolean } = {}) {
  const tm = guestMemory({ size: 4 << 20 });
  const blk = new VirtioBlk({ backend, readOnly: opts.readOnly, id: 'disk-0' });
  const dev = new VirtioMmio(blk, { dma: tm.dma, irq: { raise() {} } });
  const drv = new MmioDriver(dev, tm);
  drv.init({ accept: opts.accept });
  return { tm, blk, dev, drv, d: new BlkDriver(drv, 0, { indirect: opts.indirect }) };
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

t.test('config: capacity and limits (§5.2.4)', async (t) => {
  const { drv } = setup(new MemoryBackend(1234));
  t.equal(drv.config64(CFG_CAPACITY), 1234n);
  t.equal(drv.config(CFG_MAX_DISCARD_SEG, 4), 16);
  t.equal(drv.features & bit(VIRTIO_BLK_F_RO), 0n);
});

t.test('IN, OUT, FLUSH, GET_ID (§5.2.6)', async (t) => {
  for (const indirect of [false, true]) {
    const { d, blk, dev } = setup(new MemoryBackend(64), { indirect });
    const data = pattern(1024, 3);
    t.equal(d.write(10, data).status, VIRTIO_BLK_S_OK);
    const r = d.read(10, 2);
    t.equal(r.status, VIRTIO_BLK_S_OK);
    t.same(r.data, data);
    t.equal(r.len, 1025, 'used.len counts data and status byte');
    t.equal(d.flush().status, VIRTIO_BLK_S_OK);
    const id = d.getId();
    t.equal(new TextDecoder().decode(id.data.subarray(0, 6)), 'disk-0');
    t.match(blk.stats, { reads: 1, writes: 1, flushes: 1, getIds: 1 });
    t.equal(dev.stats.bytes, 1024 + 1024 + 20);
  }
});

t.test('ranges past the end get IOERR; unknown types UNSUPP', async (t) => {
  const { d, blk } = setup(new MemoryBackend(8));
  t.equal(d.read(7, 2).status, VIRTIO_BLK_S_IOERR);
  t.equal(d.write(8, pattern(512, 0)).status, VIRTIO_BLK_S_IOERR);
  t.equal(d.write(0, pattern(100, 0)).status, VIRTIO_BLK_S_IOERR, 'not a whole sector');
  t.equal(d.read(2 ** 40, 1).status, VIRTIO_BLK_S_IOERR);
  t.equal(d.request(99, 0, undefined, 0).status, VIRTIO_BLK_S_UNSUPP);
  t.equal(blk.stats.ioErrors, 4);
  t.equal(blk.stats.unsupported, 1);
});

t.test('DISCARD and WRITE_ZEROES (§5.2.6.2)', async (t) => {
  const { d } = setup(new MemoryBackend(32));
  d.write(0, pattern(32 * 512, 1));
  t.equal(d.writeZeroes([{ sector: 2, sectors: 2, flags: 0 }, { sector: 10, sectors: 1, flags: 1 }]).status, VIRTIO_BLK_S_OK);
  const r = d.read(0, 12).data;
  t.ok(r.subarray(1024, 2048).every((b) => b === 0) && r.subarray(5120, 5632).every((b) => b === 0));
  t.same(r.subarray(0, 1024), pattern(32 * 512, 1).subarray(0, 1024));
  t.equal(d.discard([{ sector: 0, sectors: 1, flags: 1 }]).status, VIRTIO_BLK_S_UNSUPP, 'unmap flag on discard');
  t.equal(d.writeZeroes([{ sector: 0, sectors: 1, flags: 4 }]).status, VIRTIO_BLK_S_UNSUPP, 'unknown flag');
  t.equal(d.writeZeroes([{ sector: 0, sectors: 1, flags: 0 }, { sector: 31, sectors: 2, flags: 0 }]).status, VIRTIO_BLK_S_IOERR);
  t.not(d.read(0, 1).data[5], 0, 'a refused request changes nothing');
  t.equal(d.discard(Array.from({ length: 17 }, () => ({ sector: 0, sectors: 1, flags: 0 }))).status, VIRTIO_BLK_S_UNSUPP);
  t.equal(d.discard([{ sector: 4, sectors: 4, flags: 0 }]).status, VIRTIO_BLK_S_OK);
  const { d: d2 } = setup(new MemoryBackend(8), { accept: (f) => f & ~bit(VIRTIO_BLK_F_DISCARD) });
  t.equal(d2.discard([{ sector: 0, sectors: 1, flags: 0 }]).status, VIRTIO_BLK_S_UNSUPP, 'not negotiated');
});

t.test('read-only: writes get IOERR and change nothing (§5.2.6.2)', async (t) => {
  const backend = new MemoryBackend(8, false, pattern(4096, 9));
  const { d, drv } = setup(backend, { readOnly: true });
  t.not(drv.features & bit(VIRTIO_BLK_F_RO), 0n);
  t.equal(d.write(0, new Uint8Array(512)).status, VIRTIO_BLK_S_IOERR);
  t.equal(d.writeZeroes([{ sector: 0, sectors: 1, flags: 0 }]).status, VIRTIO_BLK_S_IOERR);
  t.equal(d.discard([{ sector: 0, sectors: 1, flags: 0 }]).status, VIRTIO_BLK_S_IOERR);
  t.same(backend.data, pattern(4096, 9));
  t.equal(d.read(0, 1).status, VIRTIO_BLK_S_OK);
});

t.test('a chain without a status byte is returned with length 0', async (t) => {
  const { drv, blk } = setup(new MemoryBackend(8));
  const q = drv.queues[0]!;
  const { head } = q.add([{ len: 16 }])!;
  drv.kick(0, true);
  t.same(q.takeUsed(), [{ id: head, len: 0 }]);
  t.equal(blk.stats.badRequests, 1);
});

t.test('file backend: data, fdatasync on FLUSH, read-only open, one-line errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vamos-blk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'disk.img');
  writeFileSync(file, new Uint8Array(16 * 512));
  const fb = new FileBackend(file);
  const { d } = setup(fb);
  d.write(3, pattern(512, 5));
  t.equal(d.flush().status, VIRTIO_BLK_S_OK);
  fb.close();
  t.same(new Uint8Array(readFileSync(file)).subarray(1536, 2048), pattern(512, 5));
  const ro = new FileBackend(file, true);
  const { d: dro } = setup(ro);
  t.equal(dro.write(0, new Uint8Array(512)).status, VIRTIO_BLK_S_IOERR);
  t.same(dro.read(3, 1).data, pattern(512, 5));
  ro.close();
  t.throws(() => new FileBackend(join(dir, 'missing.img')), /^disk .*missing\.img: cannot open read-write: no such file$/);
  t.throws(() => new FileBackend(dir), /is a directory|not a regular file/);
  writeFileSync(join(dir, 'odd.img'), new Uint8Array(100));
  t.throws(() => new FileBackend(join(dir, 'odd.img')), /not a multiple of 512/);
  if (process.getuid?.() !== 0) {
    chmodSync(file, 0o444);
    t.throws(() => new FileBackend(file), /permission denied \(open it read-only\?\)/);
  }
});
