/**
 * A driver-side mock of the virtio-mmio initialisation sequence (virtio 1.x §3.1.1, §4.2.3):
 * enough of a guest driver to bring a device up, set its queues and kick them, talking to the
 * device only through its registers as a guest would.
 */
import type { BusDevice } from '../vmm/bus.js';
import {
  STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FEATURES_OK, VIRTIO_F_EVENT_IDX, bit,
} from '../devices/virtio/mmio/device.js';
import { MMIO_CONFIG_OFFSET, REG } from '../devices/virtio/mmio/registers.js';
import type { TestMemory } from './memory.js';
import { MockQueue } from './mock-queue.js';

export interface DriverInitOptions {
  /** Queue sizes to set up, one per queue the device has (default: each queue's maximum). */
  queueSizes?: number[];
  /** Feature bits to accept from those offered (default: all offered). */
  accept?: (offered: bigint) => bigint;
}

export class MmioDriver {
  queues: MockQueue[] = [];
  features = 0n;

  constructor(readonly dev: BusDevice, readonly tm: TestMemory) {}

  reg(name: string): number {
    const off = REG[name];
    if (off === undefined) throw new Error(`no virtio-mmio register ${name}`);
    return this.dev.read(off, 4);
  }

  setReg(name: string, v: number): void {
    const off = REG[name];
    if (off === undefined) throw new Error(`no virtio-mmio register ${name}`);
    this.dev.write(off, 4, v >>> 0);
  }

  get status(): number {
    return this.reg('Status');
  }

  offered(): bigint {
    this.setReg('DeviceFeaturesSel', 0);
    const lo = this.reg('DeviceFeatures');
    this.setReg('DeviceFeaturesSel', 1);
    return (BigInt(this.reg('DeviceFeatures')) << 32n) | BigInt(lo);
  }

  writeFeatures(f: bigint): void {
    this.setReg('DriverFeaturesSel', 0);
    this.setReg('DriverFeatures', Number(f & 0xffffffffn));
    this.setReg('DriverFeaturesSel', 1);
    this.setReg('DriverFeatures', Number((f >> 32n) & 0xffffffffn));
  }

  /** Resets and initialises the device; throws if it refuses the features or a queue. */
  init(opts: DriverInitOptions = {}): MockQueue[] {
    this.setReg('Status', 0);
    this.setReg('Status', STATUS_ACKNOWLEDGE);
    this.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    const offered = this.offered();
    this.features = opts.accept ? opts.accept(offered) & offered : offered;
    this.writeFeatures(this.features);
    this.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    if ((this.status & STATUS_FEATURES_OK) === 0) throw new Error('device refused the feature set');
    const eventIdx = (this.features & bit(VIRTIO_F_EVENT_IDX)) !== 0n;
    this.queues = [];
    for (let i = 0; ; i++) {
      this.setReg('QueueSel', i);
      const max = this.reg('QueueNumMax');
      if (max === 0) break;
      const size = opts.queueSizes?.[i] ?? max;
      const q = new MockQueue(this.tm, size, { eventIdx });
      this.setReg('QueueNum', size);
      this.setReg('QueueDescLow', q.desc);
      this.setReg('QueueDescHigh', 0);
      this.setReg('QueueDriverLow', q.avail);
      this.setReg('QueueDriverHigh', 0);
      this.setReg('QueueDeviceLow', q.used);
      this.setReg('QueueDeviceHigh', 0);
      this.setReg('QueueReady', 1);
      if (this.reg('QueueReady') !== 1) throw new Error(`device refused queue ${i}`);
      this.queues.push(q);
    }
    this.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    return this.queues;
  }

  /** Notifies queue `i` if the device asked for it (or always, with `force`). Returns whether it did. */
  kick(i: number, force = false): boolean {
    const q = this.queues[i];
    if (q === undefined) throw new Error(`no queue ${i}`);
    if (!q.shouldKick() && !force) return false;
    this.setReg('QueueNotify', i);
    return true;
  }

  /** Reads and acknowledges InterruptStatus, as an interrupt handler does. */
  ackInterrupts(): number {
    const s = this.reg('InterruptStatus');
    if (s !== 0) this.setReg('InterruptACK', s);
    return s;
  }

  config(offset: number, size: 1 | 2 | 4): number {
    return this.dev.read(MMIO_CONFIG_OFFSET + offset, size);
  }

  /** A 64-bit field as two 32-bit reads, retried until ConfigGeneration is stable (§2.5.1). */
  config64(offset: number): bigint {
    for (;;) {
      const gen = this.reg('ConfigGeneration');
      const v = (BigInt(this.config(offset + 4, 4)) << 32n) | BigInt(this.config(offset, 4));
      if (this.reg('ConfigGeneration') === gen) return v;
    }
  }
}
