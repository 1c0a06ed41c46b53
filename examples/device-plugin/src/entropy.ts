/**
 * virtio-entropy (virtio 1.x §5.4, device ID 4): the driver posts writable buffers and the
 * device fills them with random bytes. The transport (VirtioMmio) does the registers, status,
 * features and queues; the model only says what a request means. Seeded, so runs repeat.
 */
import { scatter, type VirtioContext, type VirtioDevice } from 'vamos';

/** The most one request gets: a guest can describe a 4 GiB buffer, the device must not allocate it. */
export const MAX_REQUEST = 4096;

export class EntropyDevice implements VirtioDevice {
  readonly name = 'virtio-rng';
  readonly deviceId = 4;
  readonly features = 0n;
  readonly queueSizes = [8];
  private ctx: VirtioContext | undefined;
  private x: number;

  constructor(seed = 0x2545f491) {
    this.x = seed | 0 || 1;
  }

  config(): Uint8Array { return new Uint8Array(0); }
  activate(ctx: VirtioContext): void { this.ctx = ctx; }
  reset(): void { this.ctx = undefined; }

  notify(queue: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const used: { head: number; len: number }[] = [];
    ctx.drain(queue, (p) => {
      if (p.chain === undefined) { used.push({ head: p.head, len: 0 }); return; }
      const bytes = new Uint8Array(Math.min(p.chain.writableBytes, MAX_REQUEST)).map(() => this.next());
      const len = scatter(ctx.dma, p.chain.writable, bytes);
      ctx.stats.bytes += len;
      used.push({ head: p.head, len });
    });
    ctx.complete(queue, used);
  }

  /** xorshift32. */
  private next(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return this.x & 0xff;
  }
}
