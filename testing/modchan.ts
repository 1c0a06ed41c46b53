/**
 * A virtio-modchan driver mock over `MmioDriver` (docs/virtio.md "virtio-modchan"): builds
 * operation chains (header + request readable, status header + response writable) and reads
 * back the status and response. Completions arrive at once when the device has no clock;
 * with one, run the clock and call `collect()`.
 */
import { MODCHAN_REQ_HEADER, MODCHAN_RESP_HEADER } from '../devices/virtio/modchan/config.js';
import type { MmioDriver } from './driver.js';
import type { BufferSpec } from './mock-queue.js';

export interface ModchanResult {
  /** The status word: the response length, or a negative error. */
  status: number;
  /** The response bytes (status of them when status > 0). */
  response: Uint8Array;
  /** used.len as the device reported it. */
  len: number;
}

interface Pending {
  headerAddr: number;
  respAddr: number;
  cap: number;
}

export function modchanHeader(op: number, flags = 0): Uint8Array {
  const h = new Uint8Array(MODCHAN_REQ_HEADER);
  const v = new DataView(h.buffer);
  v.setUint32(0, op >>> 0, true);
  v.setUint32(4, flags >>> 0, true);
  return h;
}

export class ModchanDriver {
  private readonly pending = new Map<number, Pending>();
  readonly results = new Map<number, ModchanResult>();

  constructor(readonly drv: MmioDriver, readonly queue = 0) {}

  /** Adds one operation chain (header, request and response in descriptors of their own); returns its head. */
  submit(op: number, request: Uint8Array, cap: number, opts: { flags?: number; split?: boolean } = {}): number {
    const q = this.drv.queues[this.queue]!;
    const bufs: BufferSpec[] = [];
    if (opts.split) {
      // Header and request in one buffer, status and response in one: boundaries mean nothing.
      const both = new Uint8Array(MODCHAN_REQ_HEADER + request.length);
      both.set(modchanHeader(op, opts.flags));
      both.set(request, MODCHAN_REQ_HEADER);
      bufs.push({ len: both.length, data: both });
      bufs.push({ len: MODCHAN_RESP_HEADER + cap, writable: true, data: new Uint8Array(MODCHAN_RESP_HEADER + cap).fill(0xee) });
    } else {
      bufs.push({ len: MODCHAN_REQ_HEADER, data: modchanHeader(op, opts.flags) });
      if (request.length > 0) bufs.push({ len: request.length, data: request });
      bufs.push({ len: MODCHAN_RESP_HEADER, writable: true, data: new Uint8Array(MODCHAN_RESP_HEADER).fill(0xee) });
      if (cap > 0) bufs.push({ len: cap, writable: true });
    }
    const added = q.add(bufs);
    if (added === undefined) throw new Error('ModchanDriver: queue full');
    const b = added.buffers.filter((x) => x.writable);
    const headerAddr = b[0]!.addr;
    const respAddr = opts.split ? headerAddr + MODCHAN_RESP_HEADER : (cap > 0 ? b[1]!.addr : 0);
    this.pending.set(added.head, { headerAddr, respAddr, cap });
    return added.head;
  }

  /** Reads the used ring into `results`. */
  collect(): void {
    const q = this.drv.queues[this.queue]!;
    const tm = this.drv.tm;
    for (const u of q.takeUsed()) {
      const p = this.pending.get(u.id);
      if (p === undefined) continue;
      this.pending.delete(u.id);
      const h = tm.read(p.headerAddr, MODCHAN_RESP_HEADER);
      const status = new DataView(h.buffer, h.byteOffset, h.byteLength).getInt32(0, true);
      const n = Math.max(0, Math.min(status, p.cap));
      this.results.set(u.id, { status, response: n > 0 ? tm.read(p.respAddr, n) : new Uint8Array(0), len: u.len });
    }
  }

  /** Submit, kick, collect: one synchronous operation; throws if the device did not complete it. */
  call(op: number, request: Uint8Array, cap: number, opts: { flags?: number; split?: boolean } = {}): ModchanResult {
    const head = this.submit(op, request, cap, opts);
    this.drv.kick(this.queue, true);
    this.collect();
    const r = this.results.get(head);
    if (r === undefined) throw new Error(`ModchanDriver: operation ${head} not completed (device status 0x${this.drv.status.toString(16)})`);
    this.results.delete(head);
    return r;
  }
}
