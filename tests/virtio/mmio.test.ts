import t from 'tap';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { MMIO_MAGIC, REG } from '../../devices/virtio/mmio/registers.js';
import {
  INT_CONFIG_CHANGE, INT_USED_BUFFER, STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK,
  STATUS_FEATURES_OK, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_EVENT_IDX, VIRTIO_F_VERSION_1, bit,
} from '../../devices/virtio/mmio/device.js';
import { ClockedTiming } from '../../devices/virtio/mmio/timing.js';
import { VIRTQ_DESC_F_NEXT } from '../../devices/virtio/queue/layout.js';
import { VirtualClock } from '../../vmm/clock.js';
import { guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { EchoDevice } from './echo-device.js';

function setup(opts: { timing?: ClockedTiming; accessPlatform?: boolean } = {}) {
  const tm = guestMemory();
  let irqs = 0;
  const dev = new VirtioMmio(new EchoDevice(opts.timing), { dma: tm.dma, irq: { raise: () => irqs++ }, accessPlatform: opts.accessPlatform });
  const drv = new MmioDriver(dev, tm);
  return { tm, dev, drv, irqs: () => irqs };
}

t.test('identification registers (§4.2.2)', async (t) => {
  const { drv } = setup();
  t.equal(drv.reg('MagicValue'), MMIO_MAGIC);
  t.equal(drv.reg('Version'), 2);
  t.equal(drv.reg('DeviceID'), 0x7e);
  const f = drv.offered();
  t.ok(f & bit(VIRTIO_F_VERSION_1) && f & bit(VIRTIO_F_EVENT_IDX));
  t.equal(drv.config(0, 4), 0xddccbbaa, 'config space at 0x100, little-endian');
  t.equal(drv.config(1, 1), 0xbb);
});

t.test('echo through a queue, one interrupt per batch', async (t) => {
  const { tm, dev, drv, irqs } = setup();
  const [q] = drv.init({ accept: (f) => f & ~bit(VIRTIO_F_EVENT_IDX) });
  const data = new TextEncoder().encode('hello virtio');
  const a = q!.add([{ len: data.length, data }, { len: 64, writable: true }])!;
  q!.add([{ len: 3, data: new Uint8Array([1, 2, 3]) }, { len: 2, writable: true }]);
  t.ok(drv.kick(0));
  t.same(q!.takeUsed(), [{ id: a.head, len: data.length }, { id: 2, len: 2 }]);
  t.same(tm.read(a.buffers[1]!.addr, data.length), data);
  t.equal(irqs(), 1);
  t.equal(drv.ackInterrupts(), INT_USED_BUFFER);
  t.equal(drv.reg('InterruptStatus'), 0);
  t.match(dev.stats, { notifications: 1, requests: 2, bytes: data.length + 2, interrupts: 1, usedInterrupts: 1, errors: 0 });
});

t.test('feature negotiation refusals: FEATURES_OK does not stick (§2.2.2, §3.1.1)', async (t) => {
  const { drv, dev } = setup({ accessPlatform: true });
  const base = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
  const attempt = (f: bigint) => {
    drv.setReg('Status', 0);
    drv.setReg('Status', STATUS_ACKNOWLEDGE);
    drv.setReg('Status', base);
    drv.writeFeatures(f);
    drv.setReg('Status', base | STATUS_FEATURES_OK);
    return drv.status;
  };
  const all = drv.offered();
  t.equal(attempt(all & ~bit(VIRTIO_F_VERSION_1)), base, 'VERSION_1 required');
  t.equal(attempt(all | bit(40)), base, 'an unoffered bit is refused');
  t.equal(attempt(all & ~bit(VIRTIO_F_ACCESS_PLATFORM)), base, 'ACCESS_PLATFORM required when offered');
  t.equal(attempt(all), base | STATUS_FEATURES_OK);
  t.equal(dev.stats.featureRefusals, 3);
  drv.setReg('DriverFeaturesSel', 0);
  drv.setReg('DriverFeatures', 0);
  t.equal(dev.features, all, 'features are frozen after FEATURES_OK');
});

t.test('no queue processing before DRIVER_OK; queue setup only while not ready', async (t) => {
  const { tm, dev, drv } = setup();
  const q = new (await import('../../testing/mock-queue.js')).MockQueue(tm, 16);
  drv.setReg('Status', STATUS_ACKNOWLEDGE);
  drv.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER);
  drv.writeFeatures(drv.offered());
  drv.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
  drv.setReg('QueueSel', 0);
  t.equal(drv.reg('QueueNumMax'), 16);
  drv.setReg('QueueNum', 12);
  drv.setReg('QueueReady', 1);
  t.equal(drv.reg('QueueReady'), 0, 'size 12 is not a power of 2');
  drv.setReg('QueueNum', 16);
  drv.setReg('QueueDescLow', q.desc);
  drv.setReg('QueueDriverLow', q.avail);
  drv.setReg('QueueDeviceLow', q.used);
  drv.setReg('QueueReady', 1);
  t.equal(drv.reg('QueueReady'), 1);
  drv.setReg('QueueDescLow', 0x8000);
  t.equal(dev.queues[0]!.descTable, q.desc, 'address change refused while ready');
  q.add([{ len: 1 }, { len: 1, writable: true }]);
  drv.setReg('QueueNotify', 0);
  t.equal(dev.stats.notificationsIgnored, 1);
  t.equal(q.usedIdx, 0, 'nothing processed before DRIVER_OK');
  drv.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
  drv.setReg('QueueNotify', 0);
  t.equal(q.usedIdx, 1);
  drv.setReg('QueueSel', 5);
  t.equal(drv.reg('QueueNumMax'), 0, 'queues that do not exist have size 0');
});

t.test('status writes: clearing a bit or skipping a step is refused (§2.1)', async (t) => {
  const { drv, dev } = setup();
  drv.setReg('Status', STATUS_DRIVER);
  t.equal(drv.status, 0, 'DRIVER without ACKNOWLEDGE does not stick');
  drv.setReg('Status', STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
  t.equal(drv.status, STATUS_ACKNOWLEDGE | STATUS_DRIVER, 'DRIVER_OK needs FEATURES_OK');
  drv.setReg('Status', STATUS_ACKNOWLEDGE);
  t.equal(drv.status, STATUS_ACKNOWLEDGE | STATUS_DRIVER, 'a write that clears a bit is refused');
  t.ok(dev.stats.registerErrors >= 3);
});

t.test('a malformed chain after DRIVER_OK: NEEDS_RESET and a configuration interrupt (§2.1.2)', async (t) => {
  const { drv, dev, irqs } = setup();
  const [q] = drv.init();
  q!.writeDesc(0, { addr: 0x100, len: 4, flags: VIRTQ_DESC_F_NEXT, next: 0 });
  q!.pushAvail(0);
  drv.kick(0, true);
  t.ok(drv.status & STATUS_DEVICE_NEEDS_RESET);
  t.equal(drv.reg('InterruptStatus'), INT_CONFIG_CHANGE);
  t.equal(irqs(), 1);
  t.match(dev.stats, { needsReset: 1, configInterrupts: 1, errors: 1 });
  t.match(dev.stats.lastError, /chain-too-long/);
  q!.add([{ len: 1 }]);
  drv.kick(0, true);
  t.equal(dev.stats.notificationsIgnored, 1, 'the device stays stopped until reset');
  drv.setReg('Status', 0);
  t.equal(drv.status, 0);
  t.equal(drv.reg('InterruptStatus'), 0);
  drv.setReg('QueueSel', 0);
  t.equal(drv.reg('QueueReady'), 0, 'reset clears QueueReady');
});

t.test('a returnable malformed chain comes back with length 0 and the device carries on', async (t) => {
  const { drv, dev } = setup();
  const [q] = drv.init();
  q!.writeDesc(0, { addr: 0x100, len: 4, flags: VIRTQ_DESC_F_NEXT | 2, next: 1 });
  q!.writeDesc(1, { addr: 0x100, len: 4, flags: 0, next: 0 });
  q!.pushAvail(0);
  drv.kick(0, true);
  t.same(q!.takeUsed(), [{ id: 0, len: 0 }]);
  t.equal(drv.status & STATUS_DEVICE_NEEDS_RESET, 0);
  t.equal(dev.stats.errors, 1);
});

t.test('with a clock, completions arrive after the service time; a reset drops them', async (t) => {
  const clock = new VirtualClock();
  const { drv } = setup({ timing: new ClockedTiming(clock, 1000, 1) });
  const [q] = drv.init();
  q!.add([{ len: 10, data: new Uint8Array(10) }, { len: 10, writable: true }]);
  drv.kick(0);
  t.equal(q!.usedIdx, 0);
  t.equal(clock.nextDeadline(), 1010);
  clock.advance(1010);
  clock.runDue();
  t.equal(q!.usedIdx, 1);
  q!.add([{ len: 10, data: new Uint8Array(10) }, { len: 10, writable: true }]);
  drv.kick(0, true);
  drv.setReg('Status', 0);
  clock.advance(5000);
  clock.runDue();
  t.equal(q!.usedIdx, 1, 'the completion scheduled before the reset never lands');
});

t.test('control registers need aligned 32-bit accesses', async (t) => {
  const { dev } = setup();
  t.equal(dev.read(REG.MagicValue!, 2), 0);
  dev.write(REG.Status!, 1, 1);
  t.equal(dev.status, 0);
  t.equal(dev.read(0x0e0, 4), 0, 'unlisted offset');
  t.equal(dev.stats.registerErrors, 3);
});
