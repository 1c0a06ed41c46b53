/**
 * The framing between the TCP gateway and a guest server (docs/gateway.md): a 12-byte header
 * in network byte order at the start of every UDP datagram. middleware/include/gateway.h holds
 * the same numbers for the guest side; tests/gateway/proto.test.ts keeps them equal.
 */
import { MAX_UDP_PAYLOAD } from '../frames.js';

export const GW_MAGIC0 = 0x56; // 'V'
export const GW_MAGIC1 = 0x47; // 'G'
export const GW_VERSION = 1;
export const GW_HDR = 12;
export const GW_MAX_PAYLOAD = MAX_UDP_PAYLOAD - GW_HDR;
export const GW_WINDOW = 8;
/** Connections the guest server holds at once (the next is turned away). */
export const GW_MAX_CONNS = 64;

export const GwType = { open: 1, data: 2, close: 3, ack: 4, shutdown: 5, hello: 6 } as const;
export type GwTypeName = keyof typeof GwType;

export interface GwDatagram {
  type: number;
  conn: number;
  /** Gateway to server: the datagram's number on its connection; server to gateway: the acknowledgement. */
  seq: number;
  payload: Uint8Array;
}

export function encodeGw(d: GwDatagram): Uint8Array {
  if (d.payload.length > GW_MAX_PAYLOAD) throw new RangeError(`gateway payload of ${d.payload.length} bytes; at most ${GW_MAX_PAYLOAD}`);
  const out = new Uint8Array(GW_HDR + d.payload.length);
  const v = new DataView(out.buffer);
  out[0] = GW_MAGIC0;
  out[1] = GW_MAGIC1;
  out[2] = GW_VERSION;
  out[3] = d.type;
  v.setUint32(4, d.conn >>> 0);
  v.setUint32(8, d.seq >>> 0);
  out.set(d.payload, GW_HDR);
  return out;
}

/** A datagram from the guest, or why it is not one (never throws). */
export function decodeGw(b: Uint8Array): GwDatagram | string {
  if (b.length < GW_HDR) return `${b.length}-byte datagram, shorter than the ${GW_HDR}-byte header`;
  if (b[0] !== GW_MAGIC0 || b[1] !== GW_MAGIC1) return 'bad magic';
  if (b[2] !== GW_VERSION) return `version ${b[2]}, not ${GW_VERSION}`;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { type: b[3]!, conn: v.getUint32(4), seq: v.getUint32(8), payload: b.subarray(GW_HDR) };
}
