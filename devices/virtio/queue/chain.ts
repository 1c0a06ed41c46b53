/**
 * Walking one descriptor chain (virtio 1.x §2.7.5, §2.7.5.3). The walk never throws: a chain is
 * either a plain description of its buffers or a structured error, and what the device does with
 * an error is decided by `CHAIN_ERROR_POLICY` (docs/virtio.md, "Malformed chains").
 */
import type { Dma } from '../../dma/dma.js';
import { DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './layout.js';

export interface GuestBuffer {
  readonly addr: number;
  readonly len: number;
}

export interface DescriptorChain {
  readonly head: number;
  /** Device-readable buffers, in chain order; they always precede the writable ones (§2.7.4). */
  readonly readable: GuestBuffer[];
  readonly writable: GuestBuffer[];
  readonly readableBytes: number;
  readonly writableBytes: number;
  /** Descriptors read to walk the chain, indirect ones included: the walk's cost. */
  readonly descriptors: number;
  readonly indirect: boolean;
}

export type ChainErrorKind =
  | 'avail-index-jump'
  | 'head-out-of-range'
  | 'next-out-of-range'
  | 'chain-too-long'
  | 'nested-indirect'
  | 'indirect-with-next'
  | 'indirect-bad-length'
  | 'indirect-too-long'
  | 'indirect-not-negotiated'
  | 'readable-after-writable'
  | 'length-overflow'
  | 'dma-fault';

export interface ChainError {
  readonly kind: ChainErrorKind;
  /** The head the driver made available, or -1 when the avail ring itself was unusable. */
  readonly head: number;
  readonly detail: string;
}

/**
 * What the device does with each malformed chain. `return`: the chain's structure is sound
 * enough to give the head back (used.len 0) and carry on; `needs-reset`: the rings cannot be
 * trusted any more, so the device stops and sets DEVICE_NEEDS_RESET (§2.1.2).
 */
export const CHAIN_ERROR_POLICY: Readonly<Record<ChainErrorKind, 'return' | 'needs-reset'>> = {
  'avail-index-jump': 'needs-reset',
  'head-out-of-range': 'needs-reset',
  'next-out-of-range': 'needs-reset',
  'chain-too-long': 'needs-reset',
  'nested-indirect': 'needs-reset',
  'indirect-with-next': 'needs-reset',
  'indirect-bad-length': 'needs-reset',
  'indirect-too-long': 'needs-reset',
  'indirect-not-negotiated': 'needs-reset',
  'dma-fault': 'needs-reset',
  'readable-after-writable': 'return',
  'length-overflow': 'return',
};

export type ChainResult =
  | { readonly ok: true; readonly chain: DescriptorChain }
  | { readonly ok: false; readonly error: ChainError };

const MAX_CHAIN_BYTES = 0xffffffff; // used.len is 32 bits (§2.7.8)

function fail(kind: ChainErrorKind, head: number, detail: string): ChainResult {
  return { ok: false, error: { kind, head, detail } };
}

/**
 * Walks the chain starting at `head` in the descriptor table at `table` (`size` entries).
 * Bounds: at most `size` descriptors in the main table and at most `size` in one indirect
 * table, so a walk costs O(size) descriptor reads whatever the guest wrote.
 */
export function parseChain(dma: Dma, table: number, size: number, head: number, allowIndirect: boolean): ChainResult {
  if (head >= size) return fail('head-out-of-range', head, `head ${head} >= queue size ${size}`);
  const readable: GuestBuffer[] = [];
  const writable: GuestBuffer[] = [];
  let readableBytes = 0;
  let writableBytes = 0;
  let descriptors = 0;
  let base = table;
  let entries = size;
  let inIndirect = false;
  let visited = 0;
  let i = head;
  try {
    for (;;) {
      if (++visited > entries) {
        return fail('chain-too-long', head, `chain longer than its ${inIndirect ? 'indirect table' : 'queue'} (${entries} entries): a loop`);
      }
      const at = base + DESC_SIZE * i;
      const lo = dma.read32(at);
      const hi = dma.read32(at + 4);
      const len = dma.read32(at + 8);
      const flagsNext = dma.read32(at + 12);
      descriptors++;
      const flags = flagsNext & 0xffff;
      const next = flagsNext >>> 16;
      const addr = hi * 0x1_0000_0000 + lo;
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (inIndirect) return fail('nested-indirect', head, `indirect descriptor ${i} inside an indirect table`);
        if (!allowIndirect) return fail('indirect-not-negotiated', head, `descriptor ${i} is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated`);
        if (flags & VIRTQ_DESC_F_NEXT) return fail('indirect-with-next', head, `indirect descriptor ${i} also has NEXT set`);
        if (len === 0 || len % DESC_SIZE !== 0) return fail('indirect-bad-length', head, `indirect table length ${len} is not a positive multiple of ${DESC_SIZE}`);
        if (len / DESC_SIZE > size) return fail('indirect-too-long', head, `indirect table of ${len / DESC_SIZE} entries exceeds queue size ${size}`);
        base = addr;
        entries = len / DESC_SIZE;
        inIndirect = true;
        visited = 0;
        i = 0;
        continue;
      }
      if (readableBytes + writableBytes + len > MAX_CHAIN_BYTES) {
        return fail('length-overflow', head, `chain length exceeds 2^32 - 1 bytes at descriptor ${i}`);
      }
      if (flags & VIRTQ_DESC_F_WRITE) {
        writable.push({ addr, len });
        writableBytes += len;
      } else {
        if (writable.length > 0) return fail('readable-after-writable', head, `device-readable descriptor ${i} after a writable one`);
        readable.push({ addr, len });
        readableBytes += len;
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      if (next >= entries) return fail('next-out-of-range', head, `descriptor ${i} links to ${next}, table has ${entries} entries`);
      i = next;
    }
  } catch (e) {
    return fail('dma-fault', head, e instanceof Error ? e.message : String(e));
  }
  return { ok: true, chain: { head, readable, writable, readableBytes, writableBytes, descriptors, indirect: inIndirect } };
}
