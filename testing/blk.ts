/**
 * A virtio-blk driver mock over `MmioDriver`: builds request chains (header, data, status byte;
 * §5.2.6) and reads back the status. Requests complete synchronously when the device has no
 * clock; with one, call `collect()` after running the clock.
 */
import {
  BLK_HEADER_SIZE, DWZ_SEGMENT_SIZE, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_WRITE_ZEROES, type DwzSegment,
} from '../devices/virtio/blk/request.js';
import type { MmioDriver } from './driver.js';
import type { BufferSpec } from './mock-queue.js';

export interface BlkResult {
  status: number;
  /** The device-writable data (IN, GET_ID), without the status byte. */
  data: Uint8Array;
  /** used.len as the device reported it. */
  len: number;
}

interface Pending {
  statusAddr: number;
  inAddr: number;
  inLen: number;
}

export function blkHeader(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(BLK_HEADER_SIZE);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setUint32(8, sector % 0x1_0000_0000, true);
  v.setUint32(12, Math.floor(sector / 0x1_0000_0000), true);
  return h;
}

export function dwzSegments(segs: readonly DwzSegment[]): Uint8Array {
  const b = new Uint8Array(DWZ_SEGMENT_SIZE * segs.length);
  const v = new DataView(b.buffer);
  segs.forEach((s, i) => {
    v.setUint32(16 * i, s.sector % 0x1_0000_0000, true);
    v.setUint32(16 * i + 4, Math.floor(s.sector / 0x1_0000_0000), true);
    v.setUint32(16 * i + 8, s.sectors, true);
    v.setUint32(16 * i + 12, s.flags, true);
  });
  return b;
}

export class BlkDriver {
  private readonly pending = new Map<number, Pending>();
  readonly results = new Map<number, BlkResult>();

  constructor(readonly drv: MmioDriver, readonly queue = 0, readonly opts: { indirect?: boolean } = {}) {}

  /** Adds one request chain; returns its head. Data goes in its own descriptor, as Linux does. */
  submit(type: number, sector: number, out: Uint8Array | undefined, inLen: number): number {
    const q = this.drv.queues[this.queue]!;
    const bufs: BufferSpec[] = [{ len: BLK_HEADER_SIZE, data: blkHeader(type, sector) }];
    if (out !== undefined && out.length > 0) bufs.push({ len: out.length, data: out });
    if (inLen > 0) bufs.push({ len: inLen, writable: true });
    bufs.push({ len: 1, writable: true, data: new Uint8Array([0xff]) });
    const added = q.add(bufs, { indirect: this.opts.indirect });
    if (added === undefined) throw new Error('BlkDriver: queue full');
    const b = added.buffers;
    this.pending.set(added.head, { statusAddr: b[b.length - 1]!.addr, inAddr: inLen > 0 ? b[b.length - 2]!.addr : 0, inLen });
    return added.head;
  }

  /** Reads the used ring into `results`. */
  collect(): void {
    const q = this.drv.queues[this.queue]!;
    for (const u of q.takeUsed()) {
      const p = this.pending.get(u.id);
      if (p === undefined) continue;
      this.pending.delete(u.id);
      const tm = this.drv.tm;
      this.results.set(u.id, { status: tm.read(p.statusAddr, 1)[0]!, data: tm.read(p.inAddr, p.inLen), len: u.len });
    }
  }

  /** Submit, kick, collect: one synchronous request. Throws if the device did not complete it. */
  request(type: number, sector: number, out: Uint8Array | undefined, inLen: number): BlkResult {
    const head = this.submit(type, sector, out, inLen);
    this.drv.kick(this.queue, true);
    this.collect();
    const r = this.results.get(head);
    if (r === undefined) throw new Error(`BlkDriver: request ${head} not completed (device status 0x${this.drv.status.toString(16)})`);
    this.results.delete(head);
    return r;
  }

  read(sector: number, sectors: number): BlkResult {
    return this.request(VIRTIO_BLK_T_IN, sector, undefined, sectors * 512);
  }
  write(sector: number, data: Uint8Array): BlkResult {
    return this.request(VIRTIO_BLK_T_OUT, sector, data, 0);
  }
  flush(): BlkResult {
    return this.request(VIRTIO_BLK_T_FLUSH, 0, undefined, 0);
  }
  getId(): BlkResult {
    return this.request(VIRTIO_BLK_T_GET_ID, 0, undefined, 20);
  }
  discard(segs: readonly DwzSegment[]): BlkResult {
    return this.request(VIRTIO_BLK_T_DISCARD, 0, dwzSegments(segs), 0);
  }
  writeZeroes(segs: readonly DwzSegment[]): BlkResult {
    return this.request(VIRTIO_BLK_T_WRITE_ZEROES, 0, dwzSegments(segs), 0);
  }
}
