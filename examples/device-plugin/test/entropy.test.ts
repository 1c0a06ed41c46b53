/**
 * The entropy device under vamos/testing (vamos's docs/testing.md, "Worked example"): the kit
 * drives it the way a guest driver would, from TypeScript, and fast-check generates the rings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CHAIN_ERROR_POLICY, CountingDma, MmioDriver, STATUS_DEVICE_NEEDS_RESET, VirtioMmio, chainBuffers, guestMemory,
  malformedChain, rawRing, validChain, writeMalformed, writeRawRing,
} from 'vamos/testing';
import { EntropyDevice, MAX_REQUEST } from '../src/entropy.js';

function bringUp(opts: { start?: number } = {}) {
  const tm = guestMemory({ start: opts.start });
  const dma = new CountingDma(tm.dma);
  const dev = new VirtioMmio(new EntropyDevice(), { dma, irq: { raise() {} } });
  const drv = new MmioDriver(dev, tm);
  const [q] = drv.init();
  return { tm, dma, dev, drv, q: q! };
}

test('every valid chain comes back once, filled up to its writable length, and nothing else is written', () => {
  fc.assert(fc.property(fc.array(validChain({ maxBuffers: 2, indirect: false }), { minLength: 1, maxLength: 4 }), (chains) => {
    const { dma, drv, q } = bringUp();
    // A chain that does not fit in the queue's free descriptors is not added.
    const added = chains.map((c) => q.add(chainBuffers(c))).filter((a) => a !== undefined);
    drv.kick(0, true);
    const used = q.takeUsed();
    assert.equal(used.length, added.length);
    for (const a of added) {
      const writable = a.buffers.filter((b) => b.writable).reduce((n, b) => n + b.len, 0);
      assert.equal(used.find((u) => u.id === a.head)!.len, Math.min(MAX_REQUEST, writable));
    }
    for (const w of dma.written.filter((w) => w.addr < q.used || w.addr >= q.used + 6 + 8 * q.size)) {
      assert.ok(added.some((x) => x.buffers.some((b) => b.writable && w.addr >= b.addr && w.addr + w.len <= b.addr + b.len)));
    }
  }));
});

test('anything at all in the ring: no throw, and used.idx moves by the chains completed', () => {
  fc.assert(fc.property(rawRing(8, guestMemory()), (ring) => {
    const { drv, q, dev } = bringUp({ start: 0x40000 });
    writeRawRing(q, { ...ring, heads: [...new Set(ring.heads)] });
    drv.kick(0, true);
    return q.takeUsed().length === dev.stats.requests;
  }));
});

test('a malformed chain is returned empty or sets DEVICE_NEEDS_RESET, as the transport documents', () => {
  fc.assert(fc.property(malformedChain(8), (m) => {
    const { drv, q, dev } = bringUp();
    writeMalformed(q, m);
    drv.kick(0, true);
    return ((dev.status & STATUS_DEVICE_NEEDS_RESET) !== 0) === (CHAIN_ERROR_POLICY[m.expect] === 'needs-reset');
  }));
});
