/**
 * Device status (virtio 1.x §2.1, §3.1.1, §4.2.3.1): status-register writes against an
 * independent model of the transition table, and NEEDS_RESET's configuration interrupt.
 */
import t from 'tap';
import fc from 'fast-check';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import {
  INT_CONFIG_CHANGE, STATUS_ACKNOWLEDGE as A, STATUS_DEVICE_NEEDS_RESET as NR, STATUS_DRIVER as D, STATUS_DRIVER_OK as OK,
  STATUS_FAILED as FAIL, STATUS_FEATURES_OK as FO, VIRTIO_F_VERSION_1, bit, type VirtioContext, type VirtioDevice,
} from '../../devices/virtio/mmio/device.js';
import { guestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';

class ProbeDevice implements VirtioDevice {
  readonly name = 'probe';
  readonly deviceId = 0x7f;
  readonly features = 0n;
  readonly queueSizes = [4];
  ctx: VirtioContext | undefined;
  config() { return new Uint8Array(4); }
  activate(ctx: VirtioContext) { this.ctx = ctx; }
  notify() {}
  reset() { this.ctx = undefined; }
}

/** The transition table of docs/virtio.md, written independently of the transport. */
function model(cur: number, v: number, featuresAcceptable: boolean): number {
  v &= 0xff;
  if (v === 0) return 0;
  const want = (v & ~NR) | (cur & NR);
  if ((cur & ~want) !== 0 || (want & 0x30) !== 0) return cur;
  let s = want;
  const added = want & ~cur;
  if (added & D && !(s & A)) s &= ~D;
  if (added & FO && (!(s & A) || !(s & D) || !featuresAcceptable)) s &= ~FO;
  if (added & OK && (!(s & A) || !(s & D) || !(s & FO))) s &= ~OK;
  return s;
}

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('status' as const), v: fc.oneof(
    fc.constantFrom(0, A, A | D, A | D | FO, A | D | FO | OK, A | D | OK, D, FO, OK, FAIL, A | FAIL, A | D | FO | OK | FAIL, NR, A | NR),
    fc.integer({ min: 0, max: 255 }),
  ) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('features' as const), v: fc.constantFrom(0n, bit(VIRTIO_F_VERSION_1), bit(VIRTIO_F_VERSION_1) | bit(40), bit(29) | bit(VIRTIO_F_VERSION_1)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('device-error' as const), v: fc.constant(0) }) },
);

t.test('§2.1/§3.1.1 status writes follow the transition table; NEEDS_RESET after DRIVER_OK raises the configuration interrupt', async (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const tm = guestMemory();
      const probe = new ProbeDevice();
      let irqs = 0;
      const dev = new VirtioMmio(probe, { dma: tm.dma, irq: { raise: () => irqs++ } });
      const drv = new MmioDriver(dev, tm);
      let st = 0;
      let features = 0n;
      for (const o of ops) {
        if (o.kind === 'status') {
          const acceptable = (features & ~dev.offered) === 0n && (features & bit(VIRTIO_F_VERSION_1)) !== 0n;
          st = model(st, Number(o.v), acceptable);
          drv.setReg('Status', Number(o.v));
          if ((Number(o.v) & 0xff) === 0) features = 0n;
        } else if (o.kind === 'features') {
          if (!(st & FO)) features = o.v as bigint;
          drv.writeFeatures(o.v as bigint);
        } else {
          const before = irqs;
          const hadNr = (st & NR) !== 0;
          probe.ctx?.needsReset('injected device error');
          if (probe.ctx !== undefined) {
            st |= NR;
            const wantIrq = !hadNr && (st & OK) !== 0;
            if (wantIrq !== (irqs === before + 1) || (wantIrq && !(dev.interruptStatus & INT_CONFIG_CHANGE))) {
              throw new Error(`NEEDS_RESET with status 0x${st.toString(16)}: configuration interrupt ${irqs > before ? 'raised' : 'not raised'}`);
            }
          }
        }
        const got = drv.status;
        if (got !== st) throw new Error(`after ${JSON.stringify(o, (_, x) => typeof x === 'bigint' ? x.toString(16) : x)}: status 0x${got.toString(16)}, model 0x${st.toString(16)}`);
        if ((got & OK && !(got & FO)) || (got & FO && !(got & D)) || (got & D && !(got & A))) throw new Error(`status 0x${got.toString(16)} skips a step`);
      }
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
