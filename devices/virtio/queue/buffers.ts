/**
 * Moving bytes between a chain's buffers and the device. Both directions go through the `Dma`,
 * so a fault (an unmapped IOVA, an address past RAM) throws `DmaFault` from here and the
 * device decides what the request's status is.
 */
import type { Dma } from '../../dma/dma.js';
import type { GuestBuffer } from './chain.js';

/** The buffers' bytes from `skip` onward, at most `max` of them, concatenated. */
export function gather(dma: Dma, bufs: readonly GuestBuffer[], skip = 0, max = Infinity): Uint8Array {
  const first = bufs[0];
  if (first !== undefined && skip < first.len && (bufs.length === 1 || max <= first.len - skip)) {
    return dma.read(first.addr + skip, Math.min(first.len - skip, max)); // one buffer: one copy
  }
  let total = 0;
  for (const b of bufs) total += b.len;
  const out = new Uint8Array(Math.max(0, Math.min(total - skip, max)));
  let pos = 0;
  for (const b of bufs) {
    if (pos >= out.length) break;
    if (skip >= b.len) {
      skip -= b.len;
      continue;
    }
    const n = Math.min(b.len - skip, out.length - pos);
    out.set(dma.read(b.addr + skip, n), pos);
    pos += n;
    skip = 0;
  }
  return out;
}

/**
 * Writes `data` across the buffers from byte `skip` of the chain; never past a buffer's end.
 * Returns the bytes written (less than data.length when the buffers are shorter).
 */
export function scatter(dma: Dma, bufs: readonly GuestBuffer[], data: Uint8Array, skip = 0): number {
  let pos = 0;
  for (const b of bufs) {
    if (pos >= data.length) break;
    if (skip >= b.len) {
      skip -= b.len;
      continue;
    }
    const n = Math.min(b.len - skip, data.length - pos);
    dma.write(b.addr + skip, data.subarray(pos, pos + n));
    pos += n;
    skip = 0;
  }
  return pos;
}

/** A view of the first `n` bytes of a buffer list, and of the rest. */
export function splitAt(bufs: readonly GuestBuffer[], n: number): [GuestBuffer[], GuestBuffer[]] {
  const head: GuestBuffer[] = [];
  const tail: GuestBuffer[] = [];
  for (const b of bufs) {
    if (n <= 0) tail.push(b);
    else if (b.len <= n) {
      head.push(b);
      n -= b.len;
    } else {
      head.push({ addr: b.addr, len: n });
      tail.push({ addr: b.addr + n, len: b.len - n });
      n = 0;
    }
  }
  return [head, tail];
}
