/**
 * Parsing a module-channel chain (docs/virtio.md "virtio-modchan"), apart from executing it.
 * As for virtio-blk, descriptor boundaries mean nothing under VERSION_1 (§2.7.4.1): the parts
 * are found by byte position. Readable: [u32 op][u32 flags][request]; writable: [i32 status]
 * [u32 reserved][response capacity].
 */
import type { Dma } from '../../dma/dma.js';
import { gather, splitAt } from '../queue/buffers.js';
import type { DescriptorChain, GuestBuffer } from '../queue/chain.js';
import { MODCHAN_MAX_REQUEST, MODCHAN_MAX_RESPONSE, MODCHAN_REQ_HEADER, MODCHAN_RESP_HEADER } from './config.js';

export interface ModchanRequest {
  readonly op: number;
  /** The request bytes after the header, still in guest memory. */
  readonly request: GuestBuffer[];
  readonly requestLen: number;
  /** Where the status and reserved words go. */
  readonly header: GuestBuffer[];
  /** The response's buffers after the header, and their capacity (capped at the maximum). */
  readonly response: GuestBuffer[];
  readonly responseCap: number;
}

export type ParsedModchan =
  | { readonly ok: true; readonly req: ModchanRequest }
  /**
   * `header` is where a status can still be reported (the chain has the 8 writable header
   * bytes); without it the chain goes back with used length 0.
   */
  | { readonly ok: false; readonly header: GuestBuffer[] | undefined; readonly why: string };

/** Reads the op and flags; throws DmaFault when the header is not readable (the caller reports -EFAULT). */
export function parseModchan(dma: Dma, chain: DescriptorChain): ParsedModchan {
  if (chain.writableBytes < MODCHAN_RESP_HEADER) {
    return { ok: false, header: undefined, why: `${chain.writableBytes} device-writable bytes, needs ${MODCHAN_RESP_HEADER} for the status` };
  }
  const [header, response] = splitAt(chain.writable, MODCHAN_RESP_HEADER);
  if (chain.readableBytes < MODCHAN_REQ_HEADER) {
    return { ok: false, header, why: `request header is ${chain.readableBytes} bytes, needs ${MODCHAN_REQ_HEADER}` };
  }
  const requestLen = chain.readableBytes - MODCHAN_REQ_HEADER;
  if (requestLen > MODCHAN_MAX_REQUEST) {
    return { ok: false, header, why: `request of ${requestLen} bytes exceeds ${MODCHAN_MAX_REQUEST}` };
  }
  const h = gather(dma, chain.readable, 0, MODCHAN_REQ_HEADER);
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const op = v.getUint32(0, true);
  const flags = v.getUint32(4, true);
  if (flags !== 0) return { ok: false, header, why: `flags 0x${flags.toString(16)}: none are defined` };
  if (op > 0xffff) return { ok: false, header, why: `op ${op} does not fit in 16 bits` };
  const [, request] = splitAt(chain.readable, MODCHAN_REQ_HEADER);
  const responseCap = Math.min(chain.writableBytes - MODCHAN_RESP_HEADER, MODCHAN_MAX_RESPONSE);
  return { ok: true, req: { op, request, requestLen, header, response, responseCap } };
}
