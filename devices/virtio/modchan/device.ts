/**
 * virtio-modchan (docs/virtio.md "virtio-modchan"): the module channel. Each chain on its one
 * queue is one module operation: the request is copied out of the guest, the bound module runs
 * it on a modelled host thread (host-threads.ts) while the vCPU goes on, and when the thread
 * finishes the response, already in the guest's buffers, is returned on the used ring with an
 * interrupt (or none, as EVENT_IDX asks). Parsing is request.ts; the module is reached through
 * `ModuleEndpoint`, so this device knows nothing of the module registry above it.
 */
import { HC_ERR } from '../../../vmm/hypercalls.js';
import { gather, scatter } from '../queue/buffers.js';
import type { DescriptorChain } from '../queue/chain.js';
import { VIRTIO_F_EVENT_IDX, bit, type VirtioContext, type VirtioDevice } from '../mmio/device.js';
import { HostThreads } from '../mmio/host-threads.js';
import { MODCHAN_QUEUE, MODCHAN_RESP_HEADER, VIRTIO_ID_MODCHAN, modchanConfig } from './config.js';
import { parseModchan } from './request.js';

/** What the device calls: one operation of the bound module (the registry's invoke()). */
export interface ModuleEndpoint {
  /** The module's name, shown in the configuration space. */
  readonly name: string;
  /**
   * Runs `op` on `request` with a response of at most `cap` bytes. `status` is the response's
   * length or a negative HC_ERR code; `cycles` the host work (copies included); never throws.
   */
  invoke(op: number, request: Uint8Array, cap: number): { status: number; cycles: number; response: Uint8Array };
}

export interface ModchanStats {
  /** Operations handed to the module. */
  calls: number;
  /** Operations refused before the module (bad header, unreadable request): status < 0. */
  refused: number;
  /** Chains with no room for a status: returned with used length 0. */
  badChains: number;
  requestBytes: number;
  responseBytes: number;
  /** Most operations the device held at once (handed over, not yet completed). */
  maxInFlight: number;
}

export interface VirtioModchanOptions {
  endpoint: ModuleEndpoint;
  /** The host threads the module runs on (default: one thread with no clock: completes at once). */
  threads?: HostThreads;
  queueSize?: number;
  /**
   * Set when notifications come by ioeventfd (the profile's `virtioIo: 'iothread'`): the
   * user-space work the vCPU no longer does in a heavy exit (`ioeventfdKickCycles`), charged to
   * the host thread once per notification, before the operations it brought.
   */
  kickCycles?: number;
}

export class VirtioModchan implements VirtioDevice {
  readonly name = 'virtio-modchan';
  readonly deviceId = VIRTIO_ID_MODCHAN;
  /** EVENT_IDX is offered by every transport; listing it says this device relies on it. */
  readonly features = bit(VIRTIO_F_EVENT_IDX);
  readonly queueSizes: readonly number[];
  readonly stats: ModchanStats = { calls: 0, refused: 0, badChains: 0, requestBytes: 0, responseBytes: 0, maxInFlight: 0 };
  readonly threads: HostThreads;
  private readonly endpoint: ModuleEndpoint;
  private readonly cfg: Uint8Array;
  readonly ioeventfd: boolean;
  private readonly kickCycles: number;
  private ctx: VirtioContext | undefined;
  private inFlight = 0;

  constructor(opts: VirtioModchanOptions) {
    this.endpoint = opts.endpoint;
    this.threads = opts.threads ?? new HostThreads(undefined, 1);
    this.queueSizes = [opts.queueSize ?? 64];
    this.cfg = modchanConfig(opts.endpoint.name, this.threads.threads);
    this.ioeventfd = opts.kickCycles !== undefined;
    this.kickCycles = opts.kickCycles ?? 0;
  }

  config(): Uint8Array {
    return this.cfg;
  }

  activate(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  reset(): void {
    this.ctx = undefined;
    this.inFlight = 0;
    this.threads.reset();
  }

  notify(queue: number): void {
    const ctx = this.ctx;
    if (ctx === undefined || queue !== MODCHAN_QUEUE) return;
    // The thread woken by an ioeventfd does the device model's work once, then the operations.
    let kick = this.kickCycles;
    ctx.drain(queue, (p) => {
      if (p.chain === undefined) {
        // A chain the walk refused but could give back (docs/virtio.md "Malformed chains").
        ctx.complete(queue, [{ head: p.head, len: 0 }]);
        return;
      }
      const { len, cycles } = this.handle(ctx, p.chain);
      this.inFlight++;
      this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
      this.threads.run(kick + cycles, () => {
        if (this.ctx !== ctx) return; // reset meanwhile: the driver took the rings back
        this.inFlight--;
        ctx.complete(queue, [{ head: p.head, len }]);
      });
      kick = 0;
    });
    if (kick > 0) this.threads.run(kick, () => {}); // woken for nothing: the work is done all the same
  }

  /**
   * One chain: parse, run the module, write the response and status. Returns used.len (the
   * bytes written) and the host thread's work. A chain with no room for the status goes back
   * with length 0; any other failure is a negative status the driver reads.
   */
  private handle(ctx: VirtioContext, chain: DescriptorChain): { len: number; cycles: number } {
    let parsed;
    try {
      parsed = parseModchan(ctx.dma, chain);
    } catch (e) {
      return this.refuse(ctx, chain.writable.length > 0 ? chain.writable : undefined, HC_ERR.EFAULT, e);
    }
    if (!parsed.ok) return this.refuse(ctx, parsed.header, HC_ERR.EINVAL, parsed.why);
    const req = parsed.req;
    let request: Uint8Array;
    try {
      request = gather(ctx.dma, req.request);
    } catch (e) {
      return this.refuse(ctx, req.header, HC_ERR.EFAULT, e);
    }
    const r = this.endpoint.invoke(req.op, request, req.responseCap);
    this.stats.calls++;
    this.stats.requestBytes += req.requestLen;
    let status = r.status;
    let written = 0;
    try {
      if (status > 0) written = scatter(ctx.dma, req.response, r.response.subarray(0, status));
    } catch (e) {
      ctx.stats.lastError = `${this.name}: response: ${describe(e)}`;
      status = HC_ERR.EFAULT;
      written = 0;
    }
    this.stats.responseBytes += written;
    ctx.stats.bytes += req.requestLen + written;
    if (!this.writeStatus(ctx, req.header, status)) return { len: 0, cycles: r.cycles };
    return { len: MODCHAN_RESP_HEADER + written, cycles: r.cycles };
  }

  private refuse(ctx: VirtioContext, header: DescriptorChain['writable'] | undefined, status: number, why: unknown): { len: number; cycles: number } {
    ctx.stats.errors++;
    ctx.stats.lastError = `${this.name}: bad request: ${describe(why)}`;
    if (header === undefined || !this.writeStatus(ctx, header, status)) {
      this.stats.badChains++;
      return { len: 0, cycles: 0 };
    }
    this.stats.refused++;
    return { len: MODCHAN_RESP_HEADER, cycles: 0 };
  }

  private writeStatus(ctx: VirtioContext, header: DescriptorChain['writable'], status: number): boolean {
    const h = new Uint8Array(MODCHAN_RESP_HEADER);
    new DataView(h.buffer).setInt32(0, status, true);
    try {
      return scatter(ctx.dma, header, h) === MODCHAN_RESP_HEADER;
    } catch (e) {
      ctx.stats.lastError = `${this.name}: status: ${describe(e)}`;
      return false;
    }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
