/**
 * virtio-blk (virtio 1.x §5.2): one request queue in front of a `BlockBackend`. Requests are
 * parsed (request.ts), executed here, and their completions handed to the transport as one
 * batch per notification, after the disk's service time when a clock-driven timing is given.
 */
import { gather, scatter } from '../queue/buffers.js';
import type { DescriptorChain } from '../queue/chain.js';
import type { UsedElem, VirtioContext, VirtioDevice } from '../mmio/device.js';
import { VIRTIO_ID_BLOCK } from '../mmio/device.js';
import { IMMEDIATE, type ServiceTiming } from '../mmio/timing.js';
import type { BlockBackend } from './backend.js';
import {
  MAX_DWZ_SECTORS, MAX_DWZ_SEGMENTS, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES, blkConfig, blkFeatures,
} from './config.js';
import {
  DWZ_SEGMENT_SIZE, SECTOR_SIZE, VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, parseRequest, parseSegments, type BlkRequest,
} from './request.js';

export interface VirtioBlkOptions {
  backend: BlockBackend;
  /** Defaults to the backend's own read-only flag; a read-only backend cannot be made writable. */
  readOnly?: boolean;
  /** The GET_ID serial (at most 20 bytes are used). */
  id?: string;
  queueSize?: number;
  timing?: ServiceTiming;
}

export interface BlkStats {
  reads: number;
  writes: number;
  flushes: number;
  discards: number;
  writeZeroes: number;
  getIds: number;
  ioErrors: number;
  unsupported: number;
  /** Chains that are not a request at all (no status byte): returned with length 0. */
  badRequests: number;
  bytesRead: number;
  bytesWritten: number;
}

export class VirtioBlk implements VirtioDevice {
  readonly name = 'virtio-blk';
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueSizes: readonly number[];
  readonly readOnly: boolean;
  readonly stats: BlkStats = {
    reads: 0, writes: 0, flushes: 0, discards: 0, writeZeroes: 0, getIds: 0, ioErrors: 0, unsupported: 0,
    badRequests: 0, bytesRead: 0, bytesWritten: 0,
  };
  private readonly backend: BlockBackend;
  private readonly cfg: Uint8Array;
  private readonly id: Uint8Array;
  private readonly timing: ServiceTiming;
  private ctx: VirtioContext | undefined;
  /** Notifications come by ioeventfd when the timing is an I/O thread's (IoThreadTiming). */
  readonly ioeventfd: boolean;

  constructor(opts: VirtioBlkOptions) {
    this.backend = opts.backend;
    this.readOnly = opts.backend.readOnly || opts.readOnly === true;
    const qs = opts.queueSize ?? 256;
    this.queueSizes = [qs];
    this.features = blkFeatures(this.readOnly);
    this.cfg = blkConfig(opts.backend.sectors, qs);
    this.id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
    this.id.set(new TextEncoder().encode(opts.id ?? 'vamos-blk').subarray(0, VIRTIO_BLK_ID_BYTES));
    this.timing = opts.timing ?? IMMEDIATE;
    this.ioeventfd = this.timing.ioeventfd === true;
  }

  config(): Uint8Array {
    return this.cfg;
  }

  activate(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  reset(): void {
    this.ctx = undefined;
  }

  notify(queue: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const used: UsedElem[] = [];
    let bytes = 0;
    ctx.drain(queue, (p) => {
      if (p.chain === undefined) {
        used.push({ head: p.head, len: 0 });
        return;
      }
      const r = this.handle(ctx, p.chain);
      bytes += r.bytes;
      used.push({ head: p.head, len: r.len });
    });
    ctx.stats.bytes += bytes;
    ctx.defer(this.timing, used.length, bytes, () => ctx.complete(queue, used));
  }

  /** One chain: parse, execute, write the status byte. `len` is what the device wrote (§2.7.8). */
  private handle(ctx: VirtioContext, chain: DescriptorChain): { len: number; bytes: number } {
    let parsed;
    try {
      parsed = parseRequest(ctx.dma, chain);
    } catch (e) {
      parsed = { ok: false as const, status: undefined, why: e instanceof Error ? e.message : String(e) };
    }
    let status: number;
    let written = 0;
    let bytes = 0;
    if (!parsed.ok) {
      ctx.stats.errors++;
      ctx.stats.lastError = `virtio-blk: bad request: ${parsed.why}`;
      if (parsed.status === undefined) {
        this.stats.badRequests++;
        return { len: 0, bytes: 0 };
      }
      status = VIRTIO_BLK_S_IOERR;
    } else {
      try {
        const r = this.execute(ctx, parsed.req);
        status = r.status;
        written = r.written;
        bytes = r.bytes;
      } catch (e) {
        // A DMA fault or a backend error: the request fails, the device carries on.
        ctx.stats.lastError = `virtio-blk: ${e instanceof Error ? e.message : String(e)}`;
        status = VIRTIO_BLK_S_IOERR;
        written = 0;
      }
    }
    if (status === VIRTIO_BLK_S_IOERR) this.stats.ioErrors++;
    else if (status === VIRTIO_BLK_S_UNSUPP) this.stats.unsupported++;
    const statusAddr = parsed.ok ? parsed.req.status : parsed.status!;
    try {
      ctx.dma.write(statusAddr, new Uint8Array([status]));
    } catch {
      this.stats.badRequests++;
      return { len: written, bytes };
    }
    return { len: written + 1, bytes };
  }

  private inRange(sector: number, count: number): boolean {
    return Number.isSafeInteger(sector + count) && sector + count <= this.backend.sectors;
  }

  private execute(ctx: VirtioContext, req: BlkRequest): { status: number; written: number; bytes: number } {
    const fail = (status: number) => ({ status, written: 0, bytes: 0 });
    switch (req.type) {
      case VIRTIO_BLK_T_IN: {
        if (req.inLen % SECTOR_SIZE !== 0 || !this.inRange(req.sector, req.inLen / SECTOR_SIZE)) return fail(VIRTIO_BLK_S_IOERR);
        let data: Uint8Array;
        if (this.backend.view !== undefined) data = this.backend.view(req.sector, req.inLen);
        else this.backend.read(req.sector, (data = new Uint8Array(req.inLen)));
        scatter(ctx.dma, req.in, data);
        this.stats.reads++;
        this.stats.bytesRead += data.length;
        return { status: VIRTIO_BLK_S_OK, written: data.length, bytes: data.length };
      }
      case VIRTIO_BLK_T_OUT: {
        if (this.readOnly) return fail(VIRTIO_BLK_S_IOERR);
        if (req.outLen % SECTOR_SIZE !== 0 || !this.inRange(req.sector, req.outLen / SECTOR_SIZE)) return fail(VIRTIO_BLK_S_IOERR);
        const data = gather(ctx.dma, req.out);
        this.backend.write(req.sector, data);
        this.stats.writes++;
        this.stats.bytesWritten += data.length;
        return { status: VIRTIO_BLK_S_OK, written: 0, bytes: data.length };
      }
      case VIRTIO_BLK_T_FLUSH:
        this.backend.flush();
        this.stats.flushes++;
        return fail(VIRTIO_BLK_S_OK);
      case VIRTIO_BLK_T_GET_ID: {
        const n = scatter(ctx.dma, req.in, this.id.subarray(0, Math.min(req.inLen, VIRTIO_BLK_ID_BYTES)));
        this.stats.getIds++;
        return { status: VIRTIO_BLK_S_OK, written: n, bytes: n };
      }
      case VIRTIO_BLK_T_DISCARD:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        return this.discardOrZero(ctx, req);
      default:
        return fail(VIRTIO_BLK_S_UNSUPP);
    }
  }

  /** §5.2.6.2: every segment is checked before any is applied, so a refused request changes nothing. */
  private discardOrZero(ctx: VirtioContext, req: BlkRequest): { status: number; written: number; bytes: number } {
    const discard = req.type === VIRTIO_BLK_T_DISCARD;
    const fail = (status: number) => ({ status, written: 0, bytes: 0 });
    if (!ctx.has(discard ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES)) return fail(VIRTIO_BLK_S_UNSUPP);
    if (this.readOnly) return fail(VIRTIO_BLK_S_IOERR);
    if (req.outLen === 0 || req.outLen % DWZ_SEGMENT_SIZE !== 0) return fail(VIRTIO_BLK_S_IOERR);
    if (req.outLen / DWZ_SEGMENT_SIZE > MAX_DWZ_SEGMENTS) return fail(VIRTIO_BLK_S_UNSUPP);
    const segs = parseSegments(gather(ctx.dma, req.out));
    for (const s of segs) {
      const unknown = s.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
      if (unknown !== 0 || (discard && s.flags !== 0)) return fail(VIRTIO_BLK_S_UNSUPP);
      if (s.sectors > MAX_DWZ_SECTORS || !this.inRange(s.sector, s.sectors)) return fail(VIRTIO_BLK_S_IOERR);
    }
    for (const s of segs) {
      if (discard) this.backend.discard(s.sector, s.sectors);
      else this.backend.writeZeroes(s.sector, s.sectors);
    }
    if (discard) this.stats.discards++;
    else this.stats.writeZeroes++;
    return fail(VIRTIO_BLK_S_OK);
  }
}
