/**
 * virtio-modchan, the module channel (docs/virtio.md "virtio-modchan"): a vendor device that
 * carries whole module operations to a hypervisor-resident module instead of disk blocks, the
 * VAMOS prototype's "Virtio-SQL". Its ids, configuration layout and the fixed parts of a chain.
 */
import { HC_MAX_BUFFER } from '../../../vmm/hypercalls.js';

/**
 * The device id. Ids up to about 60 are allocated by the virtio specification (§5); this one is
 * far outside that range, so no standard driver will ever bind to it.
 */
export const VIRTIO_ID_MODCHAN = 0x564d; // 'VM'

/** The request queue: every chain is one operation, request then response. */
export const MODCHAN_QUEUE = 0;

/**
 * The device-readable header in front of the request bytes: u32 op (the module's operation,
 * as MODULE_CALL's low 16 bits), u32 flags (must be 0).
 */
export const MODCHAN_REQ_HEADER = 8;
/**
 * The device-writable header in front of the response bytes: i32 status (a byte count of the
 * response, or a negative HC_ERR code), u32 reserved (written 0).
 */
export const MODCHAN_RESP_HEADER = 8;

/** Longest request and response, the same limit as a MODULE_CALL buffer (1 MiB). */
export const MODCHAN_MAX_REQUEST = HC_MAX_BUFFER;
export const MODCHAN_MAX_RESPONSE = HC_MAX_BUFFER;

/** Longest module name in the configuration space. */
export const MODCHAN_NAME_MAX = 64;

/**
 * The configuration space (read-only): u32 max_request, u32 max_response, u32 host_threads,
 * u32 reserved, then the bound module's name, NUL-padded to 64 bytes.
 */
export const MODCHAN_CONFIG_SIZE = 16 + MODCHAN_NAME_MAX;

export function modchanConfig(module: string, threads: number): Uint8Array {
  const b = new Uint8Array(MODCHAN_CONFIG_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, MODCHAN_MAX_REQUEST, true);
  v.setUint32(4, MODCHAN_MAX_RESPONSE, true);
  v.setUint32(8, threads, true);
  const name = new TextEncoder().encode(module);
  if (name.length > MODCHAN_NAME_MAX) throw new Error(`virtio-modchan: module name '${module}' is longer than ${MODCHAN_NAME_MAX} bytes`);
  b.set(name, 16);
  return b;
}
