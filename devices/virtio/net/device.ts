/**
 * virtio-net (virtio 1.x §5.1): one receive and one transmit queue, the MAC in configuration
 * space, no offloads. Transmit runs on a notification like virtio-blk; receive runs when the
 * backend delivers a frame, or when the driver posts buffers and frames are waiting.
 */
import { gather, scatter } from '../queue/buffers.js';
import type { UsedElem, VirtioContext, VirtioDevice } from '../mmio/device.js';
import { VIRTIO_ID_NET } from '../mmio/device.js';
import { IMMEDIATE, type ServiceTiming } from '../mmio/timing.js';
import type { NetBackend } from './backend.js';
import { MAX_FRAME, NET_HDR_SIZE, RX_QUEUE, TX_QUEUE, netConfig, netFeatures, parseMac, rxHeader } from './config.js';

/** Every received frame gets the same header (no offloads, one buffer); only read, never written. */
const RX_HEADER = rxHeader();

export interface VirtioNetOptions {
  backend: NetBackend;
  /** "52:54:00:12:34:56" or six bytes (default 52:54:00:12:34:56). */
  mac?: string | Uint8Array;
  queueSize?: number;
  /** Transmit service time (ClockedTiming.net); receive costs were paid by the sender. */
  timing?: ServiceTiming;
  /** Frames kept while the driver has no receive buffer posted (default 256). */
  rxBacklog?: number;
}

export interface NetStats {
  txFrames: number;
  txBytes: number;
  /** Transmit chains without a full header, or frames above MAX_FRAME: returned unsent. */
  txDropped: number;
  rxFrames: number;
  rxBytes: number;
  /** Frames larger than the posted receive buffer: dropped, the buffer kept for the next one. */
  rxDroppedOversize: number;
  /** Frames that found the backlog full. */
  rxDroppedNoBuffer: number;
  /** Frames that arrived before DRIVER_OK or after a reset. */
  rxDroppedNotReady: number;
}

export class VirtioNet implements VirtioDevice {
  readonly name = 'virtio-net';
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = netFeatures();
  readonly queueSizes: readonly number[];
  readonly mac: Uint8Array;
  readonly stats: NetStats = {
    txFrames: 0, txBytes: 0, txDropped: 0, rxFrames: 0, rxBytes: 0, rxDroppedOversize: 0, rxDroppedNoBuffer: 0, rxDroppedNotReady: 0,
  };
  private readonly cfg: Uint8Array;
  private readonly backend: NetBackend;
  private readonly timing: ServiceTiming;
  private readonly backlogLimit: number;
  private readonly backlog: Uint8Array[] = [];
  private ctx: VirtioContext | undefined;

  constructor(opts: VirtioNetOptions) {
    this.backend = opts.backend;
    this.mac = typeof opts.mac === 'string' ? parseMac(opts.mac) : (opts.mac ?? Uint8Array.from([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
    const qs = opts.queueSize ?? 256;
    this.queueSizes = [qs, qs];
    this.cfg = netConfig(this.mac);
    this.timing = opts.timing ?? IMMEDIATE;
    this.backlogLimit = opts.rxBacklog ?? 256;
    this.backend.onReceive = (f) => this.receive(f);
  }

  /** Frames waiting for receive buffers. */
  get backlogged(): number {
    return this.backlog.length;
  }

  config(): Uint8Array {
    return this.cfg;
  }

  activate(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  reset(): void {
    this.ctx = undefined;
    this.backlog.length = 0;
  }

  notify(queue: number): void {
    if (queue === TX_QUEUE) this.transmit();
    else if (queue === RX_QUEUE) this.deliver();
  }

  private transmit(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const used: UsedElem[] = [];
    const frames: Uint8Array[] = [];
    let bytes = 0;
    ctx.drain(TX_QUEUE, (p) => {
      used.push({ head: p.head, len: 0 }); // the device writes nothing into a transmit chain
      if (p.chain === undefined) return;
      const len = p.chain.readableBytes - NET_HDR_SIZE;
      if (len < 0 || len > MAX_FRAME) {
        this.stats.txDropped++;
        ctx.stats.errors++;
        ctx.stats.lastError = `virtio-net: transmit chain of ${p.chain.readableBytes} bytes (header ${NET_HDR_SIZE}, frame at most ${MAX_FRAME})`;
        return;
      }
      try {
        frames.push(gather(ctx.dma, p.chain.readable, NET_HDR_SIZE));
      } catch (e) {
        this.stats.txDropped++;
        ctx.stats.errors++;
        ctx.stats.lastError = `virtio-net: transmit buffer: ${e instanceof Error ? e.message : String(e)}`;
        return;
      }
      bytes += len;
    });
    ctx.stats.bytes += bytes;
    ctx.defer(this.timing, used.length, bytes, () => {
      for (const f of frames) {
        this.stats.txFrames++;
        this.stats.txBytes += f.length;
        this.backend.send(f);
      }
      ctx.complete(TX_QUEUE, used);
    });
  }

  private receive(frame: Uint8Array): void {
    if (this.ctx === undefined) {
      this.stats.rxDroppedNotReady++;
      return;
    }
    if (this.backlog.length >= this.backlogLimit) {
      this.stats.rxDroppedNoBuffer++;
      return;
    }
    this.backlog.push(frame);
    this.deliver();
  }

  /** Moves backlogged frames into posted receive buffers, one interrupt decision for the lot. */
  private deliver(): void {
    const ctx = this.ctx;
    if (ctx === undefined || this.backlog.length === 0) return;
    const used: UsedElem[] = [];
    let bytes = 0;
    while (this.backlog.length > 0) {
      const p = ctx.pop(RX_QUEUE);
      if (p === undefined) break;
      if (p.chain === undefined) {
        used.push({ head: p.head, len: 0 });
        continue;
      }
      const frame = this.backlog.shift()!;
      if (p.chain.writableBytes < NET_HDR_SIZE + frame.length) {
        this.stats.rxDroppedOversize++;
        ctx.queue(RX_QUEUE).undoPop();
        continue;
      }
      try {
        // Header and frame go out separately: no per-frame buffer to build and copy twice.
        scatter(ctx.dma, p.chain.writable, RX_HEADER);
        scatter(ctx.dma, p.chain.writable, frame, NET_HDR_SIZE);
      } catch (e) {
        ctx.stats.errors++;
        ctx.stats.lastError = `virtio-net: receive buffer: ${e instanceof Error ? e.message : String(e)}`;
        used.push({ head: p.head, len: 0 });
        continue;
      }
      this.stats.rxFrames++;
      this.stats.rxBytes += frame.length;
      bytes += frame.length;
      used.push({ head: p.head, len: NET_HDR_SIZE + frame.length });
    }
    ctx.stats.bytes += bytes;
    ctx.complete(RX_QUEUE, used);
  }
}
