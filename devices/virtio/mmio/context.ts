/**
 * The `VirtioContext` a device model gets at DRIVER_OK. It applies the malformed-chain policy
 * (queue/chain.ts) so that every device treats bad rings the same way, and it dies at reset so
 * that completions still scheduled on the clock cannot touch rings the driver has taken back.
 */
import { CHAIN_ERROR_POLICY } from '../queue/chain.js';
import type { SplitQueue } from '../queue/queue.js';
import { INT_USED_BUFFER, STATUS_DEVICE_NEEDS_RESET, bit, type Popped, type UsedElem, type VirtioContext } from './device.js';
import type { ServiceTiming } from './timing.js';
import type { VirtioMmio } from './transport.js';

export class MmioContext implements VirtioContext {
  alive = true;
  readonly features: bigint;

  constructor(private readonly t: VirtioMmio) {
    this.features = t.features;
  }

  get dma() {
    return this.t.dma;
  }

  get stats() {
    return this.t.stats;
  }

  kill(): void {
    this.alive = false;
  }

  has(featureBit: number): boolean {
    return (this.features & bit(featureBit)) !== 0n;
  }

  queue(index: number): SplitQueue {
    const q = this.t.queues[index];
    if (q === undefined) throw new Error(`no queue ${index}`);
    return q;
  }

  private usable(q: SplitQueue): boolean {
    return this.alive && q.ready && (this.t.status & STATUS_DEVICE_NEEDS_RESET) === 0;
  }

  pop(index: number): Popped | undefined {
    const q = this.queue(index);
    if (!this.usable(q)) return undefined;
    const r = q.pop(this.t.dma);
    if (r === undefined) return undefined;
    if (r.ok) return { head: r.chain.head, chain: r.chain };
    const why = `${this.t.name}: queue ${index}: ${r.error.kind}: ${r.error.detail}`;
    if (CHAIN_ERROR_POLICY[r.error.kind] === 'return' && r.error.head >= 0) {
      this.stats.errors++;
      this.stats.lastError = why;
      return { head: r.error.head, error: r.error };
    }
    this.t.needsReset(why);
    return undefined;
  }

  drain(index: number, handle: (p: Popped) => void): void {
    const q = this.queue(index);
    const dma = this.t.dma;
    for (;;) {
      q.disableNotification(dma);
      for (let p = this.pop(index); p !== undefined; p = this.pop(index)) handle(p);
      if (!this.usable(q) || !q.enableNotification(dma)) return;
    }
  }

  complete(index: number, used: readonly UsedElem[]): void {
    if (!this.alive || used.length === 0) return;
    const q = this.queue(index);
    if (!q.ready) return; // the driver took the queue back (QueueReady 0): its rings may be gone
    const dma = this.t.dma;
    for (const u of used) {
      if (!q.addUsed(dma, u.head, u.len)) {
        this.t.needsReset(`${this.t.name}: queue ${index}: used ring at 0x${q.usedRing.toString(16)} is not writable`);
        return;
      }
    }
    this.stats.requests += used.length;
    if (q.needsNotification(dma)) {
      this.stats.usedInterrupts++;
      this.t.interrupt(INT_USED_BUFFER);
    } else {
      this.stats.interruptsSuppressed++;
    }
  }

  defer(timing: ServiceTiming, requests: number, bytes: number, done: () => void): void {
    timing.after(requests, bytes, () => {
      if (this.alive) done();
    });
  }

  needsReset(why: string): void {
    if (this.alive) this.t.needsReset(why);
  }

  configChanged(): void {
    if (this.alive) this.t.configChanged();
  }
}
