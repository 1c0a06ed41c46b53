/**
 * The vamos machine as the firmware and the guest kernel see it: the numbers of
 * guest-os/include/platform.h, in TypeScript, for the VMM (docs/platform.md).
 * tests/platform/platform-h.test.ts parses platform.h and checks that the two agree, so a
 * change on one side without the other fails a test instead of a boot.
 */

/** virtio-mmio slots: fixed windows the firmware probes (MagicValue "virt"). */
export const VIRTIO_MMIO_BASE = 0xd0000000;
export const VIRTIO_MMIO_STRIDE = 0x1000;
export const VIRTIO_MMIO_SLOTS = 4;
/** Slot i raises PIC line VIRTIO_IRQ_BASE + i (lines 5..8). */
export const VIRTIO_IRQ_BASE = 5;

/** The MMIO window and the PIC line of virtio slot `slot`; behind the IOMMU it is source id `slot`. */
export function slotBase(slot: number): number {
  return VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
}
export function slotIrq(slot: number): number {
  return VIRTIO_IRQ_BASE + slot;
}

/** The IOMMU, present when the VMM runs with --iommu (docs/iommu.md). */
export const IOMMU_MMIO_BASE = 0xfed90000;
export const IOMMU_MMIO_SIZE = 0x1000;
export const IOMMU_IRQ = 9;

/** Legacy devices (their own modules hold the same numbers; the test checks these). */
export const COM1_PORT = 0x3f8;
export const COM1_IRQ = 4;
export const TIMER_PORT = 0x40;
export const TIMER_IRQ = 0;
export const PIC_PORT = 0x20;
export const PIC_EOI = 0x20;
export const PIC_VECTOR_BASE = 32;
export const POWER_PORT = 0xf4;

/** fw_cfg (devices/fwcfg/fwcfg.ts). */
export const FWCFG_SELECT_PORT = 0x510;
export const FWCFG_DATA_PORT = 0x511;
export const FWCFG_SIGNATURE = 0x00;
export const FWCFG_MEM_SIZE = 0x01;
export const FWCFG_CMDLINE_LEN = 0x02;
export const FWCFG_CMDLINE = 0x03;
export const FWCFG_IOMMU_BASE = 0x04;
export const FWCFG_IOMMU_IRQ = 0x05;
export const FWCFG_SIGNATURE_VALUE = 0x43574656; // "VFWC"

/** The boot-information block v2 (vmm/bootinfo.ts, docs/boot.md). */
export const BOOT_INFO_ADDR = 0x7000;
export const BOOT_CMDLINE_ADDR = 0x7100;
export const BOOT_CMDLINE_MAX = 0xf00;
export const BOOT_MAGIC = 0x31494256; // "VBI1"
export const BOOT_NO_DEVICE = 0xffffffff;
export const BOOT_MAX_DEVICES = 8;
export const BOOT_MAX_MEMMAP = 4;
export const MEMMAP_USABLE = 1;
export const MEMMAP_RESERVED = 2;

/** Byte offsets of struct boot_info's fields. */
export const BOOT_INFO_OFFSETS = {
  magic: 0x00,
  mem_size: 0x04,
  cmdline: 0x08,
  cmdline_len: 0x0c,
  kernel_entry: 0x10,
  kernel_end: 0x14,
  boot_device: 0x18,
  device_count: 0x1c,
  iommu_base: 0x20,
  iommu_irq: 0x24,
  memmap_count: 0x28,
  reserved: 0x2c,
  memmap: 0x30,
  devices: 0x60,
} as const;
/** sizeof(struct boot_memmap), sizeof(struct boot_device), sizeof(struct boot_info). */
export const BOOT_MEMMAP_SIZE = 12;
export const BOOT_DEVICE_SIZE = 16;
export const BOOT_INFO_SIZE = 0xe0;

/** Network addressing of the user-mode ("slirp") backends (docs/network.md). */
export const NET_GUEST_IP = 0x0a00020f; // 10.0.2.15
export const NET_GATEWAY_IP = 0x0a000202; // 10.0.2.2
export const NET_NETMASK = 0xffffff00;
/** The gateway's MAC, as QEMU's slirp uses it. */
export const NET_GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
/** The MAC the VMM gives virtio-net slot devices: 52:54:00:12:34:5N for net index N. */
export function guestMac(index: number): Uint8Array {
  return Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56 + index);
}
