/**
 * A virtio-net driver mock over `MmioDriver`: posts receive buffers, transmits frames with the
 * 12-byte header (§5.1.6), and reads received frames back out of the used ring.
 */
import { NET_HDR_SIZE, RX_QUEUE, TX_QUEUE } from '../devices/virtio/net/config.js';
import type { MmioDriver } from './driver.js';

export class NetDriver {
  private readonly rxBufs = new Map<number, { addr: number; len: number }>();
  /** Every receive buffer ever posted, for "wrote nothing else" assertions. */
  readonly posted: { addr: number; len: number }[] = [];

  constructor(readonly drv: MmioDriver) {}

  /** Posts `count` receive buffers of `size` bytes (header included); kicks if asked to. */
  postRx(count: number, size: number): number {
    const q = this.drv.queues[RX_QUEUE]!;
    let posted = 0;
    for (; posted < count; posted++) {
      const a = q.add([{ len: size, writable: true }]);
      if (a === undefined) break;
      this.rxBufs.set(a.head, { addr: a.buffers[0]!.addr, len: size });
      this.posted.push({ addr: a.buffers[0]!.addr, len: size });
    }
    this.drv.kick(RX_QUEUE);
    return posted;
  }

  /** Queues one frame for transmission (header and frame in separate descriptors) and kicks. */
  send(frame: Uint8Array, opts: { kick?: boolean } = {}): boolean {
    const q = this.drv.queues[TX_QUEUE]!;
    const a = q.add([{ len: NET_HDR_SIZE, data: new Uint8Array(NET_HDR_SIZE) }, { len: frame.length, data: frame }]);
    if (a === undefined) return false;
    if (opts.kick !== false) this.drv.kick(TX_QUEUE);
    return true;
  }

  /** Reclaims completed transmit chains. */
  reapTx(): number {
    return this.drv.queues[TX_QUEUE]!.takeUsed().length;
  }

  /** Frames the device wrote since the last call, in used-ring order, header stripped unless asked. */
  received(withHeader = false): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const u of this.drv.queues[RX_QUEUE]!.takeUsed()) {
      const b = this.rxBufs.get(u.id);
      this.rxBufs.delete(u.id);
      if (b === undefined || u.len < NET_HDR_SIZE) continue;
      const skip = withHeader ? 0 : NET_HDR_SIZE;
      out.push(this.drv.tm.read(b.addr + skip, u.len - skip));
    }
    return out;
  }
}
