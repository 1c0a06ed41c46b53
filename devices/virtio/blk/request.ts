/**
 * Parsing a virtio-blk request (virtio 1.x §5.2.6) out of a descriptor chain, apart from its
 * execution. Under VERSION_1 the device may assume nothing about descriptor boundaries (§2.7.4.1),
 * so parts are found by byte position: a 16-byte header at the start of the readable bytes, the
 * status byte at the end of the writable ones, data in between.
 */
import type { Dma } from '../../dma/dma.js';
import type { DescriptorChain, GuestBuffer } from '../queue/chain.js';
import { gather, splitAt } from '../queue/buffers.js';

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;

export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const SECTOR_SIZE = 512;
export const BLK_HEADER_SIZE = 16;
/** §5.2.6: the GET_ID answer is 20 bytes, not NUL-terminated when it fills them. */
export const VIRTIO_BLK_ID_BYTES = 20;
/** struct virtio_blk_discard_write_zeroes. */
export const DWZ_SEGMENT_SIZE = 16;
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;

export interface BlkRequest {
  readonly type: number;
  /** May lie beyond the disk; execution checks. Values past 2^53 lose precision and are out of range anyway. */
  readonly sector: number;
  /** Device-readable bytes after the header: OUT data, or discard / write-zeroes segments. */
  readonly out: GuestBuffer[];
  readonly outLen: number;
  /** Device-writable bytes before the status byte: IN data, the GET_ID string. */
  readonly in: GuestBuffer[];
  readonly inLen: number;
  /** Guest address of the status byte. */
  readonly status: number;
}

export type ParsedRequest =
  | { readonly ok: true; readonly req: BlkRequest }
  /** `status` is the status byte's address when there is one to report IOERR through. */
  | { readonly ok: false; readonly status: number | undefined; readonly why: string };

export function parseRequest(dma: Dma, chain: DescriptorChain): ParsedRequest {
  if (chain.writableBytes < 1) return { ok: false, status: undefined, why: 'no device-writable status byte' };
  const [inBufs, statusBufs] = splitAt(chain.writable, chain.writableBytes - 1);
  const status = statusBufs[0]!.addr;
  if (chain.readableBytes < BLK_HEADER_SIZE) {
    return { ok: false, status, why: `header is ${chain.readableBytes} bytes, needs ${BLK_HEADER_SIZE}` };
  }
  let type: number;
  let sector: number;
  const first = chain.readable[0]!;
  if (first.len >= BLK_HEADER_SIZE) {
    // The usual layout (the header in its own descriptor): no copy, no allocation.
    type = dma.read32(first.addr);
    sector = dma.read32(first.addr + 12) * 0x1_0000_0000 + dma.read32(first.addr + 8);
  } else {
    const h = gather(dma, chain.readable, 0, BLK_HEADER_SIZE);
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
    type = v.getUint32(0, true);
    sector = v.getUint32(12, true) * 0x1_0000_0000 + v.getUint32(8, true);
  }
  const [, out] = splitAt(chain.readable, BLK_HEADER_SIZE);
  return {
    ok: true,
    req: { type, sector, out, outLen: chain.readableBytes - BLK_HEADER_SIZE, in: inBufs, inLen: chain.writableBytes - 1, status },
  };
}

export interface DwzSegment {
  readonly sector: number;
  readonly sectors: number;
  readonly flags: number;
}

export function parseSegments(bytes: Uint8Array): DwzSegment[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DwzSegment[] = [];
  for (let at = 0; at + DWZ_SEGMENT_SIZE <= bytes.length; at += DWZ_SEGMENT_SIZE) {
    out.push({
      sector: v.getUint32(at + 4, true) * 0x1_0000_0000 + v.getUint32(at, true),
      sectors: v.getUint32(at + 8, true),
      flags: v.getUint32(at + 12, true),
    });
  }
  return out;
}
