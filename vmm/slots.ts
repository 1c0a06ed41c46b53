/**
 * The virtio-mmio slots of the platform (docs/platform.md): disks first, then network devices,
 * each a virtio-mmio transport at 0xD0000000 + slot * 0x1000 on PIC line 5 + slot, with the
 * profile's service times and DMA either direct or through the IOMMU (source id = slot).
 */
import type { Bus } from './bus.js';
import type { VirtualClock } from './clock.js';
import type { GuestMemory } from './memory.js';
import type { CostProfile } from './profile.js';
import type { Pic } from '../devices/pic/pic.js';
import type { Iommu } from '../devices/iommu/iommu.js';
import { PhysicalDma } from '../devices/dma/dma.js';
import { VirtioMmio, type VirtioMmioOptions } from '../devices/virtio/mmio/transport.js';
import type { VirtioDevice } from '../devices/virtio/mmio/device.js';
import { ClockedTiming, diskTiming } from '../devices/virtio/mmio/timing.js';
import { VirtioBlk } from '../devices/virtio/blk/device.js';
import type { BlockBackend } from '../devices/virtio/blk/backend.js';
import { VirtioNet } from '../devices/virtio/net/device.js';
import type { NetBackend } from '../devices/virtio/net/backend.js';
import { VIRTIO_MMIO_SLOTS, VIRTIO_MMIO_STRIDE, guestMac, slotBase, slotIrq } from './platform.js';

/** A disk in a virtio-mmio slot. */
export interface VmDisk {
  backend: BlockBackend;
  /** Forces the disk read-only (a read-only backend is read-only anyway). */
  readOnly?: boolean;
}

/** One occupied virtio-mmio slot. */
export interface SlotDevice {
  readonly slot: number;
  /** `virtio-blk0`, `virtio-net0`, ...: the name in exit tables and traces. */
  readonly name: string;
  readonly base: number;
  readonly irq: number;
  readonly transport: VirtioMmio;
  /** virtio-blk, virtio-net, or a device model of the embedder's own (`VmOptions.devices`). */
  readonly device: VirtioDevice;
}

/**
 * The transport of one slot, named after its device and index so that per-device exit rows
 * read `virtio-blk0`, `virtio-net1` (VirtioMmio names itself after the model only).
 */
class SlotTransport extends VirtioMmio {
  override readonly name: string;
  constructor(name: string, device: VirtioDevice, opts: VirtioMmioOptions) {
    super(device, opts);
    this.name = name;
  }
}

export class VmConfigError extends Error {}

interface Machine {
  mmio: Bus;
  pic: Pic;
  mem: GuestMemory;
  clock: VirtualClock;
  profile: CostProfile;
  iommu: Iommu | undefined;
}

/**
 * Disks first, then network devices, then the embedder's own device models, one per slot;
 * maps each on the MMIO bus.
 */
export function attachSlots(
  m: Machine, disks: readonly VmDisk[], nets: readonly NetBackend[], others: readonly VirtioDevice[] = [],
): { slots: SlotDevice[]; blk: VirtioBlk[]; net: VirtioNet[] } {
  if (disks.length + nets.length + others.length > VIRTIO_MMIO_SLOTS) {
    const what = others.length > 0
      ? `${disks.length} disks, ${nets.length} network devices and ${others.length} other devices`
      : `${disks.length} disks and ${nets.length} network devices`;
    throw new VmConfigError(`${what}: the machine has ${VIRTIO_MMIO_SLOTS} virtio slots`);
  }
  const slots: SlotDevice[] = [];
  const add = (device: VirtioDevice, index: number): void => {
    const slot = slots.length;
    const name = `${device.name}${index}`;
    const base = slotBase(slot);
    const irq = slotIrq(slot);
    const transport = new SlotTransport(name, device, {
      dma: m.iommu ? m.iommu.dma(slot) : new PhysicalDma(m.mem),
      irq: m.pic.line(irq),
      accessPlatform: m.iommu !== undefined,
    });
    m.mmio.map(base, VIRTIO_MMIO_STRIDE, transport);
    slots.push({ slot, name, base, irq, transport, device });
  };
  const blk = disks.map((d, i) => {
    const dev = new VirtioBlk({ backend: d.backend, readOnly: d.readOnly, id: `vamos-disk${i}`, timing: diskTiming(m.clock, m.profile) });
    add(dev, i);
    return dev;
  });
  const net = nets.map((backend, i) => {
    const dev = new VirtioNet({ backend, mac: guestMac(i), timing: ClockedTiming.net(m.clock, m.profile) });
    // A backend that frames for the guest (slirp) wants to know the device's MAC.
    (backend as { attachedMac?: (mac: Uint8Array) => void }).attachedMac?.(dev.mac);
    add(dev, i);
    return dev;
  });
  // Named like the built-in ones (name + index among devices of that name): `virtio-rng0`;
  // a device that calls itself virtio-blk numbers on after the disks.
  const seen = new Map<string, number>([[blk[0]?.name ?? 'virtio-blk', blk.length], [net[0]?.name ?? 'virtio-net', net.length]]);
  for (const dev of others) {
    const i = seen.get(dev.name) ?? 0;
    seen.set(dev.name, i + 1);
    add(dev, i);
  }
  return { slots, blk, net };
}
