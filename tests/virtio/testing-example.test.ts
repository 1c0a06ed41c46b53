/**
 * The worked example of docs/testing.md, kept as a test so the documentation cannot rot:
 * a new device (virtio-entropy, §5.4) and three properties over it, using only vamos/testing.
 */
import t from 'tap';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import {
  CHAIN_ERROR_POLICY, CountingDma, MmioDriver, STATUS_DEVICE_NEEDS_RESET, VirtioMmio, chainBuffers, guestMemory,
  malformedChain, rawRing, scatter, validChain, writeMalformed, writeRawRing, type VirtioContext, type VirtioDevice,
} from '../../testing/index.js';

/** virtio-entropy (§5.4): fills device-writable buffers with bytes from a seeded generator. */
class EntropyDevice implements VirtioDevice {
  readonly name = 'virtio-rng';
  readonly deviceId = 4;
  readonly features = 0n;
  readonly queueSizes = [8];
  private ctx: VirtioContext | undefined;
  private x = 0x2545f491;

  config(): Uint8Array {
    return new Uint8Array(0);
  }
  activate(ctx: VirtioContext): void {
    this.ctx = ctx;
  }
  reset(): void {
    this.ctx = undefined;
  }

  notify(queue: number): void {
    const ctx = this.ctx!;
    const used: { head: number; len: number }[] = [];
    ctx.drain(queue, (p) => {
      if (p.chain === undefined) return void used.push({ head: p.head, len: 0 }); // malformed, returnable
      // At most 4 KiB per request: the driver asked for "up to" its buffer size, and a hostile
      // length must not make the device allocate gigabytes.
      const bytes = new Uint8Array(Math.min(p.chain.writableBytes, 4096)).map(() => this.next());
      used.push({ head: p.head, len: scatter(ctx.dma, p.chain.writable, bytes) });
    });
    ctx.complete(queue, used);
  }

  private next(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return this.x & 0xff;
  }
}

/** A fresh device on a fresh guest memory, initialised by the mock driver. */
function bringUp(opts: { start?: number } = {}) {
  const tm = guestMemory({ start: opts.start });
  const dma = new CountingDma(tm.dma); // records every write the device makes
  const dev = new VirtioMmio(new EntropyDevice(), { dma, irq: { raise() {} } });
  const drv = new MmioDriver(dev, tm);
  const [q] = drv.init();
  return { tm, dma, dev, drv, q: q! };
}

t.test('valid chains: every head comes back once, with the bytes written, and nothing else is touched', async (t) => {
  fc.assert(
    fc.property(fc.array(validChain({ maxBuffers: 2, indirect: false }), { minLength: 1, maxLength: 4 }), (chains) => {
      const { dma, drv, q } = bringUp();
      const added = chains.map((c) => q.add(chainBuffers(c))!).filter((a) => a !== undefined);
      drv.kick(0, true);
      const used = q.takeUsed();
      assert.equal(used.length, added.length);
      for (const a of added) {
        const writable = a.buffers.filter((b) => b.writable);
        const u = used.find((u) => u.id === a.head)!;
        assert.equal(u.len, Math.min(4096, writable.reduce((n, b) => n + b.len, 0)));
        for (const w of dma.written.filter((w) => w.addr < q.used || w.addr >= q.used + 6 + 8 * q.size)) {
          assert.ok(added.some((x) => x.buffers.some((b) => b.writable && w.addr >= b.addr && w.addr + w.len <= b.addr + b.len)));
        }
      }
    }),
    { numRuns: 50 },
  );
  t.pass();
});

t.test('whatever the ring holds, the device neither throws nor loops', async (t) => {
  fc.assert(
    fc.property(rawRing(8, guestMemory()), (ring) => {
      const { drv, q, dev } = bringUp({ start: 0x40000 }); // rings above the raw buffers
      writeRawRing(q, { ...ring, heads: [...new Set(ring.heads)] });
      drv.kick(0, true);
      return q.takeUsed().length === dev.stats.requests;
    }),
    { numRuns: 200 },
  );
  t.pass();
});

t.test('malformed chains follow the documented policy', async (t) => {
  fc.assert(
    fc.property(malformedChain(8), (m) => {
      const { drv, q, dev } = bringUp();
      writeMalformed(q, m);
      drv.kick(0, true);
      const reset = (dev.status & STATUS_DEVICE_NEEDS_RESET) !== 0;
      return reset === (CHAIN_ERROR_POLICY[m.expect] === 'needs-reset');
    }),
    { numRuns: 200 },
  );
  t.pass();
});
