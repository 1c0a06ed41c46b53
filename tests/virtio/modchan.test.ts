/**
 * virtio-modchan (docs/virtio.md "virtio-modchan") against a model. The device is bound, through
 * the module registry as in the VM, to a small key-value module; any sequence of operations,
 * batches and malformed chains gives the responses a Map gives, bad chains get the outcome the
 * docs promise (a status of -EINVAL/-EFAULT, or used length 0 when there is nowhere to put
 * one) and the device carries on. With a clock, completions arrive when the modelled host
 * thread finishes, to the cycle (checked by changing the copy charge: this test then fails, as
 * tests/vamos/fairness.test.ts does); with two threads two operations overlap; EVENT_IDX
 * suppresses interrupts.
 */
import t from 'tap';
import fc from 'fast-check';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { VIRTIO_F_EVENT_IDX, bit } from '../../devices/virtio/mmio/device.js';
import { MODCHAN_RESP_HEADER, VIRTIO_ID_MODCHAN } from '../../devices/virtio/modchan/config.js';
import { DmaFault, type Dma } from '../../devices/dma/dma.js';
import { moduleChannel } from '../../middleware/host/channel.js';
import { ModuleRegistry } from '../../middleware/host/registry.js';
import type { HypervisorModule } from '../../middleware/host/module.js';
import { HypercallTable, HC_ERR } from '../../vmm/hypercalls.js';
import { GuestMemory } from '../../vmm/memory.js';
import { VirtualClock } from '../../vmm/clock.js';
import { guestMemory, type TestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { ModchanDriver } from '../../testing/modchan.js';

const PUT = 1, GET = 2;
const CPI = 1;

/** op PUT [u8 klen][key][value] -> 0; GET [key] -> the value, -ENOENT, or -EMSGSIZE when it does not fit. */
function kvModule(): HypervisorModule {
  const store = new Map<string, Uint8Array>();
  return {
    name: 'kv',
    kind: 'ts',
    call(op, req, resp) {
      const cycles = 1000 + 10 * req.length;
      if (op === PUT) {
        if (req.length < 1 || req.length < 1 + req[0]!) return { status: HC_ERR.EINVAL, cycles };
        store.set(Buffer.from(req.subarray(1, 1 + req[0]!)).toString('hex'), req.slice(1 + req[0]!));
        return { status: 0, cycles };
      }
      if (op === GET) {
        const v = store.get(Buffer.from(req).toString('hex'));
        if (v === undefined) return { status: HC_ERR.ENOENT, cycles };
        if (v.length > resp.length) return { status: HC_ERR.EMSGSIZE, cycles };
        resp.set(v);
        return { status: v.length, cycles };
      }
      return { status: HC_ERR.ENOSYS, cycles };
    },
  };
}

function setup(opts: { clock?: VirtualClock; threads?: number; eventIdx?: boolean; dma?: (d: Dma) => Dma } = {}) {
  const tm: TestMemory = guestMemory({ size: 2 << 20 });
  const registry = new ModuleRegistry({ hypercalls: new HypercallTable(), mem: new GuestMemory(1 << 20), profile: { cyclesPerInstruction: CPI } });
  registry.add(kvModule());
  const device = moduleChannel({ registry, module: 'kv', clock: opts.clock, threads: opts.threads, queueSize: 64 });
  let interrupts = 0;
  const mmio = new VirtioMmio(device, { dma: opts.dma ? opts.dma(tm.dma) : tm.dma, irq: { raise() { interrupts++; } } });
  const drv = new MmioDriver(mmio, tm);
  drv.init({ accept: (f) => (opts.eventIdx === false ? f & ~bit(VIRTIO_F_EVENT_IDX) : f) });
  return { tm, drv, d: new ModchanDriver(drv), device, registry, mmio, interrupts: () => interrupts };
}

const putReq = (k: Uint8Array, v: Uint8Array) => Uint8Array.from([k.length, ...k, ...v]);

type Cmd =
  | { kind: 'put'; key: number; value: Uint8Array }
  | { kind: 'get'; key: number; cap: number }
  | { kind: 'batch'; ops: { key: number; value?: Uint8Array }[] }
  | { kind: 'no-status' }
  | { kind: 'bad-flags' }
  | { kind: 'short-header' }
  | { kind: 'bad-op' };

const key = fc.integer({ min: 0, max: 5 });
const value = fc.uint8Array({ maxLength: 40 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), key, value }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key, cap: fc.integer({ min: 0, max: 48 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), ops: fc.array(fc.record({ key, value: fc.option(value, { nil: undefined }) }), { minLength: 1, maxLength: 6 }) }) },
  fc.record({ kind: fc.constant('no-status' as const) }),
  fc.record({ kind: fc.constant('bad-flags' as const) }),
  fc.record({ kind: fc.constant('short-header' as const) }),
  fc.record({ kind: fc.constant('bad-op' as const) }),
);

const keyBytes = (k: number) => Uint8Array.from([0x6b, k]);

t.test('any sequence of operations, batches and bad chains matches a Map', async (t) => {
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 30 }), fc.boolean(), fc.boolean(), (cmds, split, eventIdx) => {
      const { d, drv, tm, device, registry } = setup({ eventIdx });
      const model = new Map<number, Uint8Array>();
      let calls = 0;
      const expectGet = (k: number, cap: number) => {
        const v = model.get(k);
        if (v === undefined) return { status: HC_ERR.ENOENT, response: [] as number[] };
        if (v.length > cap) return { status: HC_ERR.EMSGSIZE, response: [] as number[] };
        return { status: v.length, response: [...v] };
      };
      for (const c of cmds) {
        switch (c.kind) {
          case 'put': {
            const r = d.call(PUT, putReq(keyBytes(c.key), c.value), 0, { split });
            model.set(c.key, c.value);
            calls++;
            if (r.status !== 0 || r.len !== MODCHAN_RESP_HEADER) throw new Error(`put: status ${r.status} len ${r.len}`);
            break;
          }
          case 'get': {
            const r = d.call(GET, keyBytes(c.key), c.cap, { split });
            calls++;
            const want = expectGet(c.key, c.cap);
            if (r.status !== want.status) throw new Error(`get ${c.key}: status ${r.status}, model ${want.status}`);
            if (JSON.stringify([...r.response]) !== JSON.stringify(want.response)) throw new Error(`get ${c.key}: response differs`);
            if (r.len !== MODCHAN_RESP_HEADER + Math.max(0, want.status)) throw new Error(`get: used.len ${r.len}`);
            break;
          }
          case 'batch': {
            // Several chains, one notification: the device takes them all (§2.7.13), in order.
            const heads = c.ops.map((o) => (o.value !== undefined
              ? d.submit(PUT, putReq(keyBytes(o.key), o.value), 0, { split })
              : d.submit(GET, keyBytes(o.key), 48, { split })));
            drv.kick(0, true);
            d.collect();
            c.ops.forEach((o, i) => {
              const r = d.results.get(heads[i]!);
              d.results.delete(heads[i]!);
              if (r === undefined) throw new Error('batch: a chain did not complete');
              calls++;
              if (o.value !== undefined) {
                model.set(o.key, o.value);
                if (r.status !== 0) throw new Error(`batch put: ${r.status}`);
              } else {
                const want = expectGet(o.key, 48);
                if (r.status !== want.status || JSON.stringify([...r.response]) !== JSON.stringify(want.response)) {
                  throw new Error(`batch get ${o.key}: ${r.status} vs ${want.status}`);
                }
              }
            });
            break;
          }
          case 'no-status': {
            // Only 4 writable bytes: nowhere to put a status, so used.len 0 and no call.
            const q = drv.queues[0]!;
            const a = q.add([{ len: 8, data: new Uint8Array(8) }, { len: 4, writable: true }]);
            drv.kick(0, true);
            const used = q.takeUsed();
            if (used.length !== 1 || used[0]!.id !== a!.head || used[0]!.len !== 0) throw new Error(`no-status: ${JSON.stringify(used)}`);
            break;
          }
          case 'bad-flags':
          case 'short-header':
          case 'bad-op': {
            let r;
            if (c.kind === 'bad-flags') r = d.call(GET, keyBytes(0), 8, { flags: 1 });
            else if (c.kind === 'bad-op') { r = d.call(7, new Uint8Array(3), 8); calls++; }
            else {
              const q = drv.queues[0]!;
              const status = tm.alloc(8);
              const a = q.add([{ len: 4, data: new Uint8Array(4) }, { addr: status, len: 8, writable: true }]);
              drv.kick(0, true);
              const used = q.takeUsed();
              if (used[0]?.id !== a!.head) throw new Error('short header not returned');
              r = { status: new DataView(tm.read(status, 4).buffer).getInt32(0, true), len: used[0]!.len };
            }
            const want = c.kind === 'bad-op' ? HC_ERR.ENOSYS : HC_ERR.EINVAL;
            if (r.status !== want || r.len !== MODCHAN_RESP_HEADER) throw new Error(`${c.kind}: status ${r.status} len ${r.len}`);
            break;
          }
        }
        if ((drv.status & 64) !== 0) throw new Error(`device went to NEEDS_RESET after ${c.kind}`);
      }
      if (device.stats.calls !== calls) throw new Error(`device counted ${device.stats.calls} calls, the model ${calls}`);
      if (registry.stats.get('kv')!.calls !== calls) throw new Error('registry and device disagree on calls');
    }),
    { numRuns: 120 },
  );
  t.pass();
});

t.test('the configuration space names the module and the device id is the vendor one', async (t) => {
  const { drv } = setup();
  t.equal(drv.reg('DeviceID'), VIRTIO_ID_MODCHAN);
  t.equal(drv.config(0, 4), 1 << 20, 'max request');
  t.equal(drv.config(8, 4), 1, 'host threads');
  const name = [0, 1].map((i) => String.fromCharCode(drv.config(16 + i, 1))).join('');
  t.equal(name, 'kv');
});

t.test('host threads: completion when the thread finishes; two threads overlap; one thread queues', async (t) => {
  for (const threads of [1, 2]) {
    const clock = new VirtualClock();
    const { d, drv } = setup({ clock, threads });
    const a = d.submit(PUT, putReq(keyBytes(1), new Uint8Array(10)), 0); // request 13 bytes
    const b = d.submit(GET, keyBytes(1), 16);
    drv.kick(0, true);
    // Each job: copy in (ceil(len/4) at CPI 1) + the module's 1000 + 10 per byte + copy out.
    const jobA = Math.ceil(13 / 4) + 1000 + 130;
    const jobB = Math.ceil(2 / 4) + 1000 + 20 + Math.ceil(10 / 4);
    d.collect();
    t.equal(d.results.size, 0, `${threads} thread(s): nothing completes at the notification`);
    clock.advance(jobA - 1);
    clock.runDue();
    d.collect();
    t.notOk(d.results.has(a), 'not one cycle before its job ends (the charge is exact)');
    clock.advance(1);
    clock.runDue();
    d.collect();
    t.ok(d.results.has(a), 'the put completes when its job ends');
    t.equal(d.results.has(b), threads === 2 && jobB <= jobA, 'the get completes with it only if it ran beside it');
    clock.advance(threads === 1 ? jobB : Math.max(0, jobB - jobA));
    clock.runDue();
    d.collect();
    t.equal(d.results.get(b)?.status, 10, `${threads} thread(s): the get completes after ${threads === 1 ? 'both jobs' : 'its own job'}`);
  }
});

t.test('EVENT_IDX: the driver asks for one interrupt after the third completion of three', async (t) => {
  for (const eventIdx of [true, false]) {
    const clock = new VirtualClock();
    const s = setup({ clock, eventIdx });
    const q = s.drv.queues[0]!;
    for (let i = 0; i < 3; i++) s.d.submit(GET, keyBytes(i), 8);
    if (eventIdx) q.usedEvent = 2;
    s.drv.kick(0, true);
    clock.advance(1e6);
    clock.runDue();
    s.d.collect();
    t.equal(s.d.results.size, 3);
    t.equal(s.interrupts(), eventIdx ? 1 : 3, eventIdx ? 'one interrupt for the batch' : 'one interrupt per completion');
  }
});

/** Refuses one page, as an unmapped IOVA behind the IOMMU does. */
class HoleDma implements Dma {
  constructor(private readonly inner: Dma, private readonly hole: number) {}
  private check(addr: number, len: number, write: boolean): void {
    if (addr < this.hole + 4096 && addr + len > this.hole) throw new DmaFault(addr, len, write, 'no translation');
  }
  read(a: number, l: number) { this.check(a, l, false); return this.inner.read(a, l); }
  write(a: number, d: Uint8Array) { this.check(a, d.length, true); this.inner.write(a, d); }
  read16(a: number) { this.check(a, 2, false); return this.inner.read16(a); }
  read32(a: number) { this.check(a, 4, false); return this.inner.read32(a); }
  write16(a: number, v: number) { this.check(a, 2, true); this.inner.write16(a, v); }
  write32(a: number, v: number) { this.check(a, 4, true); this.inner.write32(a, v); }
}

t.test('a DMA fault on the request or response: -EFAULT, the module is not called for an unreadable request, the device carries on', async (t) => {
  const hole = 0x100000;
  const s = setup({ dma: (d) => new HoleDma(d, hole) });
  const q = s.drv.queues[0]!;
  const status = s.tm.alloc(8);
  const hdr = s.tm.alloc(8);
  s.tm.write(hdr, Uint8Array.from([GET, 0, 0, 0, 0, 0, 0, 0]));
  q.add([{ addr: hdr, len: 8 }, { addr: hole, len: 2 }, { addr: status, len: 8, writable: true }]);
  s.drv.kick(0, true);
  t.same(q.takeUsed().map((u) => u.len), [MODCHAN_RESP_HEADER]);
  t.equal(new DataView(s.tm.read(status, 4).buffer).getInt32(0, true), HC_ERR.EFAULT);
  t.equal(s.device.stats.calls, 0, 'the module never saw it');
  t.equal(s.d.call(PUT, putReq(keyBytes(3), Uint8Array.of(9, 9)), 0).status, 0);
  // The response buffer faults: the put's value cannot be delivered, the status says so.
  const req = s.tm.alloc(2);
  s.tm.write(req, keyBytes(3));
  q.add([{ addr: hdr, len: 8 }, { addr: req, len: 2 }, { addr: status, len: 8, writable: true }, { addr: hole, len: 16, writable: true }]);
  s.drv.kick(0, true);
  t.same(q.takeUsed().map((u) => u.len), [MODCHAN_RESP_HEADER]);
  t.equal(new DataView(s.tm.read(status, 4).buffer).getInt32(0, true), HC_ERR.EFAULT);
  t.equal(s.d.call(GET, keyBytes(3), 8).status, 2, 'later operations work');
});

t.test('a chain the ring walk refuses outright sets NEEDS_RESET, as virtio-blk does', async (t) => {
  const s = setup();
  const q = s.drv.queues[0]!;
  q.pushAvail(99); // a head past the queue
  s.drv.kick(0, true);
  t.equal(s.drv.status & 64, 64, 'DEVICE_NEEDS_RESET');
  t.equal(s.device.stats.calls, 0);
});
