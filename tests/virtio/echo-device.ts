/**
 * The smallest useful device model, for transport tests and the docs/testing.md example: every
 * chain's readable bytes are copied into its writable buffers.
 */
import { gather, scatter } from '../../devices/virtio/queue/buffers.js';
import type { UsedElem, VirtioContext, VirtioDevice } from '../../devices/virtio/mmio/device.js';
import { IMMEDIATE, type ServiceTiming } from '../../devices/virtio/mmio/timing.js';

/** Echoes at most this much per chain, so a hostile length cannot make the test allocate gigabytes. */
const ECHO_MAX = 1 << 16;

export class EchoDevice implements VirtioDevice {
  readonly name = 'echo';
  readonly deviceId = 0x7e;
  readonly features = 0n;
  readonly queueSizes = [16];
  private ctx: VirtioContext | undefined;
  private readonly cfg = new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd]);

  constructor(private readonly timing: ServiceTiming = IMMEDIATE) {}

  config(): Uint8Array {
    return this.cfg;
  }

  activate(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  notify(queue: number): void {
    const ctx = this.ctx!;
    const used: UsedElem[] = [];
    let bytes = 0;
    ctx.drain(queue, (p) => {
      if (p.chain === undefined) return used.push({ head: p.head, len: 0 });
      const n = scatter(ctx.dma, p.chain.writable, gather(ctx.dma, p.chain.readable, 0, ECHO_MAX));
      bytes += n;
      used.push({ head: p.head, len: n });
    });
    ctx.stats.bytes += bytes;
    ctx.defer(this.timing, used.length, bytes, () => ctx.complete(queue, used));
  }

  reset(): void {
    this.ctx = undefined;
  }
}
