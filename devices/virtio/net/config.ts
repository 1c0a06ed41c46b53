/**
 * virtio-net feature bits (virtio 1.x §5.1.3), configuration layout (§5.1.4) and the header
 * every frame carries (§5.1.6).
 */
import { bit } from '../mmio/device.js';

export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_S_LINK_UP = 1;

export const RX_QUEUE = 0;
export const TX_QUEUE = 1;

/** struct virtio_net_hdr with num_buffers: 12 bytes whenever VERSION_1 is negotiated (§5.1.6). */
export const NET_HDR_SIZE = 12;
export const NET_HDR_NUM_BUFFERS = 10;
/** Largest frame carried, without the header: no GSO is offered, so anything bigger is an error. */
export const MAX_FRAME = 65535;

export const NET_CONFIG_SIZE = 8; // mac[6], status

export function netFeatures(): bigint {
  return bit(VIRTIO_NET_F_MAC) | bit(VIRTIO_NET_F_STATUS);
}

export function netConfig(mac: Uint8Array): Uint8Array {
  const b = new Uint8Array(NET_CONFIG_SIZE);
  b.set(mac.subarray(0, 6));
  b[6] = VIRTIO_NET_S_LINK_UP;
  return b;
}

export function parseMac(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC address ${JSON.stringify(s)}: expected six hex bytes like 52:54:00:12:34:56`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** The receive header: no offloads were negotiated, so only num_buffers is set (§5.1.6.4). */
export function rxHeader(): Uint8Array {
  const h = new Uint8Array(NET_HDR_SIZE);
  h[NET_HDR_NUM_BUFFERS] = 1;
  return h;
}
