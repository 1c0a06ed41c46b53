/**
 * struct virtio_blk_config (virtio 1.x §5.2.4) and the feature bits (§5.2.3) this device offers.
 */
import { bit } from '../mmio/device.js';

export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;
export const VIRTIO_BLK_F_DISCARD = 13;
export const VIRTIO_BLK_F_WRITE_ZEROES = 14;

export const BLK_CONFIG_SIZE = 60;
export const CFG_CAPACITY = 0;
export const CFG_SEG_MAX = 12;
export const CFG_BLK_SIZE = 20;
export const CFG_NUM_QUEUES = 34;
export const CFG_MAX_DISCARD_SECTORS = 36;
export const CFG_MAX_DISCARD_SEG = 40;
export const CFG_DISCARD_SECTOR_ALIGNMENT = 44;
export const CFG_MAX_WRITE_ZEROES_SECTORS = 48;
export const CFG_MAX_WRITE_ZEROES_SEG = 52;
export const CFG_WRITE_ZEROES_MAY_UNMAP = 56;

/** Per-segment and per-request limits for DISCARD and WRITE_ZEROES, advertised in config. */
export const MAX_DWZ_SECTORS = 1 << 22;
export const MAX_DWZ_SEGMENTS = 16;

export function blkFeatures(readOnly: boolean): bigint {
  return bit(VIRTIO_BLK_F_SEG_MAX) | bit(VIRTIO_BLK_F_BLK_SIZE) | bit(VIRTIO_BLK_F_FLUSH) | bit(VIRTIO_BLK_F_DISCARD) |
    bit(VIRTIO_BLK_F_WRITE_ZEROES) | (readOnly ? bit(VIRTIO_BLK_F_RO) : 0n);
}

export function blkConfig(sectors: number, queueSize: number): Uint8Array {
  const b = new Uint8Array(BLK_CONFIG_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(CFG_CAPACITY, sectors % 0x1_0000_0000, true);
  v.setUint32(CFG_CAPACITY + 4, Math.floor(sectors / 0x1_0000_0000), true);
  v.setUint32(CFG_SEG_MAX, queueSize - 2, true); // two descriptors go to header and status
  v.setUint32(CFG_BLK_SIZE, 512, true);
  v.setUint16(CFG_NUM_QUEUES, 1, true);
  v.setUint32(CFG_MAX_DISCARD_SECTORS, MAX_DWZ_SECTORS, true);
  v.setUint32(CFG_MAX_DISCARD_SEG, MAX_DWZ_SEGMENTS, true);
  v.setUint32(CFG_DISCARD_SECTOR_ALIGNMENT, 1, true);
  v.setUint32(CFG_MAX_WRITE_ZEROES_SECTORS, MAX_DWZ_SECTORS, true);
  v.setUint32(CFG_MAX_WRITE_ZEROES_SEG, MAX_DWZ_SEGMENTS, true);
  b[CFG_WRITE_ZEROES_MAY_UNMAP] = 0;
  return b;
}
