/**
 * virtio-mmio version 2 (virtio 1.x §4.2): a `BusDevice` on the MMIO bus in front of one device
 * model. It owns the device status state machine (§2.1, §3.1.1), feature negotiation (§2.2),
 * queue setup (§4.2.3.2), notifications and the interrupt status (§4.2.3.4).
 */
import type { AccessSize } from '../../../vmm/exits.js';
import type { BusDevice } from '../../../vmm/bus.js';
import type { Dma } from '../../dma/dma.js';
import type { IrqLine } from '../../pic/pic.js';
import { SplitQueue } from '../queue/queue.js';
import { MmioContext } from './context.js';
import {
  INT_CONFIG_CHANGE, STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED,
  STATUS_FEATURES_OK, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1,
  bit, newStats, type VirtioDevice, type VirtioStats,
} from './device.js';
import { MMIO_CONFIG_OFFSET, REGISTER_BY_WORD } from './registers.js';

const QUEUE_NOTIFY = 0x050;

/**
 * Which status bits a driver may add, and what must already be (or become) set with them. A write
 * that would clear a bit is refused whole; a bit whose requirement is missing does not stick.
 */
export const STATUS_RULES: readonly { bit: number; name: string; requires: number }[] = [
  { bit: STATUS_ACKNOWLEDGE, name: 'ACKNOWLEDGE', requires: 0 },
  { bit: STATUS_DRIVER, name: 'DRIVER', requires: STATUS_ACKNOWLEDGE },
  { bit: STATUS_FEATURES_OK, name: 'FEATURES_OK', requires: STATUS_ACKNOWLEDGE | STATUS_DRIVER },
  { bit: STATUS_DRIVER_OK, name: 'DRIVER_OK', requires: STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK },
  { bit: STATUS_FAILED, name: 'FAILED', requires: 0 },
];
const DRIVER_WRITABLE = STATUS_RULES.reduce((m, r) => m | r.bit, 0);

export interface VirtioMmioOptions {
  dma: Dma;
  irq: IrqLine;
  vendorId?: number;
  /** Offer VIRTIO_F_ACCESS_PLATFORM (§6.1): the device sits behind the IOMMU and requires it. */
  accessPlatform?: boolean;
}

export class VirtioMmio implements BusDevice {
  readonly name: string;
  readonly stats: VirtioStats = newStats();
  readonly vendorId: number;
  readonly dma: Dma;
  readonly offered: bigint;
  readonly queues: SplitQueue[];
  status = 0;
  interruptStatus = 0;
  configGeneration = 0;
  deviceFeaturesSel = 0;
  driverFeaturesSel = 0;
  driverFeatures = 0n;
  queueSel = 0;
  private driverFeaturesBeyond64 = false;
  private ctx: MmioContext | undefined;

  constructor(readonly device: VirtioDevice, private readonly opts: VirtioMmioOptions) {
    this.name = `virtio-mmio:${device.name}`;
    this.vendorId = opts.vendorId ?? 0x554d4551; // "QEMU", what Linux drivers expect to see
    this.dma = opts.dma;
    this.offered = device.features | bit(VIRTIO_F_VERSION_1) | bit(VIRTIO_F_EVENT_IDX) | bit(VIRTIO_F_INDIRECT_DESC) |
      (opts.accessPlatform ? bit(VIRTIO_F_ACCESS_PLATFORM) : 0n);
    this.queues = device.queueSizes.map((n) => new SplitQueue(n));
  }

  /** The negotiated features once FEATURES_OK stuck, else 0. */
  get features(): bigint {
    return this.status & STATUS_FEATURES_OK ? this.driverFeatures : 0n;
  }

  read(offset: number, size: AccessSize): number {
    if (offset >= MMIO_CONFIG_OFFSET) return this.readConfig(offset - MMIO_CONFIG_OFFSET, size);
    const reg = size === 4 && (offset & 3) === 0 ? REGISTER_BY_WORD[offset >>> 2] : undefined;
    if (reg?.read === undefined) {
      this.registerError(`read of ${size} bytes at 0x${offset.toString(16)}: not a readable register`);
      return 0;
    }
    return reg.read(this) >>> 0;
  }

  /**
   * A QueueNotify write to a device that takes ioeventfds (`VirtioDevice.ioeventfd`), once the
   * driver is running: the kernel signals the device's I/O thread and resumes the vCPU, as KVM
   * does for the eventfds QEMU registers at DRIVER_OK. Every other access is the device model's.
   */
  inKernelWrite(offset: number, size: AccessSize): boolean {
    return this.device.ioeventfd === true && offset === QUEUE_NOTIFY && size === 4 && (this.status & STATUS_DRIVER_OK) !== 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset >= MMIO_CONFIG_OFFSET) {
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (value >>> (8 * i)) & 0xff;
      this.device.writeConfig?.(offset - MMIO_CONFIG_OFFSET, data);
      return;
    }
    const reg = size === 4 && (offset & 3) === 0 ? REGISTER_BY_WORD[offset >>> 2] : undefined;
    if (reg?.write === undefined) {
      this.registerError(`write of ${size} bytes at 0x${offset.toString(16)}: not a writable register`);
      return;
    }
    reg.write(this, value >>> 0);
  }

  private readConfig(off: number, size: AccessSize): number {
    const cfg = this.device.config();
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | (cfg[off + i] ?? 0);
    return v >>> 0;
  }

  deviceFeaturesWord(): number {
    if (this.deviceFeaturesSel > 1) return 0;
    return Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
  }

  writeDriverFeatures(v: number): void {
    if (this.status & STATUS_FEATURES_OK) return this.registerError('DriverFeatures written after FEATURES_OK');
    if (this.driverFeaturesSel > 1) {
      if (v !== 0) this.driverFeaturesBeyond64 = true;
      return;
    }
    const shift = BigInt(32 * this.driverFeaturesSel);
    this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(v >>> 0) << shift);
  }

  /** Why the driver's feature set is refused (§2.2.1, §6.1), or undefined. */
  featureProblem(): string | undefined {
    const f = this.driverFeatures;
    if (this.driverFeaturesBeyond64 || (f & ~this.offered) !== 0n) return `driver accepted features the device does not offer (0x${(f & ~this.offered).toString(16)})`;
    if ((f & bit(VIRTIO_F_VERSION_1)) === 0n) return 'driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are not supported)';
    if (this.opts.accessPlatform && (f & bit(VIRTIO_F_ACCESS_PLATFORM)) === 0n) return 'driver did not accept VIRTIO_F_ACCESS_PLATFORM for a device behind the IOMMU';
    return undefined;
  }

  selected(): SplitQueue | undefined {
    return this.queues[this.queueSel];
  }

  /** Queue configuration registers only change a queue that exists and is not ready. */
  setupQueue(reg: string, apply: (q: SplitQueue) => void): void {
    const q = this.selected();
    if (q === undefined) return this.registerError(`${reg} for queue ${this.queueSel}, which does not exist`);
    if (q.ready) return this.registerError(`${reg} for queue ${this.queueSel} while it is ready`);
    apply(q);
  }

  writeQueueReady(v: number): void {
    const q = this.selected();
    if (q === undefined) return this.registerError(`QueueReady for queue ${this.queueSel}, which does not exist`);
    if ((v & 1) === 0) {
      q.ready = false;
      return;
    }
    if (q.ready) return;
    const problem = q.invalid();
    if (problem !== undefined) return this.registerError(`queue ${this.queueSel} not readied: ${problem}`);
    q.restart();
    this.applyFeatures(q);
    q.ready = true;
  }

  private applyFeatures(q: SplitQueue): void {
    const f = this.features;
    q.eventIdx = (f & bit(VIRTIO_F_EVENT_IDX)) !== 0n;
    q.indirect = (f & bit(VIRTIO_F_INDIRECT_DESC)) !== 0n;
  }

  writeStatus(v: number): void {
    v &= 0xff;
    if (v === 0) return this.reset();
    const cur = this.status;
    let want = (v & ~STATUS_DEVICE_NEEDS_RESET) | (cur & STATUS_DEVICE_NEEDS_RESET);
    if ((cur & ~want) !== 0 || (want & ~(DRIVER_WRITABLE | STATUS_DEVICE_NEEDS_RESET)) !== 0) {
      return this.registerError(`status write 0x${v.toString(16)} refused: it clears or sets reserved bits (current 0x${cur.toString(16)})`);
    }
    for (const rule of STATUS_RULES) {
      if ((want & ~cur & rule.bit) === 0) continue;
      if ((want & rule.requires) !== rule.requires) {
        want &= ~rule.bit;
        this.registerError(`status ${rule.name} refused: required bits 0x${rule.requires.toString(16)} not set`);
      } else if (rule.bit === STATUS_FEATURES_OK) {
        const problem = this.featureProblem();
        if (problem !== undefined) {
          want &= ~rule.bit;
          this.stats.featureRefusals++;
          this.stats.lastError = `FEATURES_OK refused: ${problem}`;
        }
      }
    }
    this.status = want;
    if ((want & ~cur & STATUS_DRIVER_OK) !== 0) this.activate();
  }

  private activate(): void {
    for (const q of this.queues) this.applyFeatures(q);
    this.ctx = new MmioContext(this);
    try {
      this.device.activate(this.ctx);
    } catch (e) {
      this.needsReset(`${this.device.name}: activation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Processing happens here, synchronously, in the exit that carried the notification. */
  notify(v: number): void {
    const i = v & 0xffff;
    const q = this.queues[i];
    const st = this.status;
    if (q === undefined || !q.ready || (st & STATUS_DRIVER_OK) === 0 || (st & (STATUS_DEVICE_NEEDS_RESET | STATUS_FAILED)) !== 0) {
      this.stats.notificationsIgnored++;
      return;
    }
    this.stats.notifications++;
    try {
      this.device.notify(i);
    } catch (e) {
      this.needsReset(`${this.device.name}: queue ${i}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Device-side: raise one interrupt cause. */
  interrupt(cause: number): void {
    this.interruptStatus |= cause;
    this.stats.interrupts++;
    this.opts.irq.raise();
  }

  needsReset(why: string): void {
    this.stats.errors++;
    this.stats.lastError = why;
    if (this.status & STATUS_DEVICE_NEEDS_RESET) return;
    this.status |= STATUS_DEVICE_NEEDS_RESET;
    this.stats.needsReset++;
    if (this.status & STATUS_DRIVER_OK) {
      this.stats.configInterrupts++;
      this.interrupt(INT_CONFIG_CHANGE);
    }
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (this.status & STATUS_DRIVER_OK) {
      this.stats.configInterrupts++;
      this.interrupt(INT_CONFIG_CHANGE);
    }
  }

  /** §2.1, §4.2.2: status 0 resets the device; InterruptStatus and every QueueReady clear. */
  reset(): void {
    this.ctx?.kill();
    this.ctx = undefined;
    this.status = 0;
    this.interruptStatus = 0;
    this.driverFeatures = 0n;
    this.driverFeaturesBeyond64 = false;
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    for (const q of this.queues) q.reset();
    this.device.reset();
  }

  private registerError(why: string): void {
    this.stats.registerErrors++;
    this.stats.lastError = `${this.name}: ${why}`;
  }
}
