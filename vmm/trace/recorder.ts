/**
 * Records every exit of a run for `vamos report`. Recording only observes: it reads the exit
 * after the VMM handled it and never feeds anything back, so a traced run is the same run.
 * Records are buffered; full buffers are written by a helper thread (writer.ts), or with
 * synchronous writes when that thread is busy with another recorder. In ring mode only the last
 * N are kept in memory and written at the end.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { EXIT_REASONS, type ExitReason, type VmExit } from '../exits.js';
import { FLAG_WRITE, FOOTER_MAGIC, NO_DEVICE, RECORD_SIZE, type TraceSymbol, type TraceTrailer } from './format.js';
import { SLOTS, TraceWriterThread } from './writer.js';

const BUFFER_RECORDS = 1 << 15;
// A plain object, not a Map: property loads with constant keys hit V8's inline caches.
const REASON_INDEX = Object.fromEntries(EXIT_REASONS.map((r, k) => [r, k])) as Record<ExitReason, number>;
const REASON_IO = REASON_INDEX.io;
const REASON_MMIO = REASON_INDEX.mmio;

export interface TraceOptions {
  /** Keep only the last `ring` exits (bounded memory for very long runs). */
  ring?: number;
  label?: string;
}

export class TraceRecorder {
  private readonly fd: number;
  private readonly ring: number | null;
  private buf: Uint8Array;
  /** Stream mode with the writer thread: full buffers are written there (writer.ts). */
  private readonly writer: TraceWriterThread | undefined;
  /** Sequence number of the writer slot being filled. */
  private seq = 0;
  // Views of buf at each field's width: a record is 3 f64 = 6 u32 slots.
  private f64!: Float64Array;
  private u32!: Uint32Array;
  /** Records in buf (stream mode), or records ever written to the ring. */
  private count = 0;
  private total = 0;
  private lastDevice: string | undefined;
  private lastDeviceId = NO_DEVICE;
  private readonly devices: string[] = [];
  private readonly deviceIndex = new Map<string, number>();
  private closed = false;
  bytesWritten = 0;

  constructor(readonly path: string, private readonly opts: TraceOptions = {}) {
    if (opts.ring !== undefined && (!Number.isInteger(opts.ring) || opts.ring <= 0)) {
      throw new Error(`trace ring size must be a positive whole number, got ${opts.ring}`);
    }
    this.ring = opts.ring ?? null;
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('trace recording needs a little-endian host');
    const records = this.ring ?? BUFFER_RECORDS;
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(`${path}: cannot write the trace: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    this.writer = this.ring === null ? TraceWriterThread.acquire(BUFFER_RECORDS * RECORD_SIZE, this.fd) : undefined;
    if (this.writer) {
      this.seq = this.writer.filled;
      this.writer.waitForSlot(this.seq);
      this.buf = new Uint8Array(this.writer.slots[this.seq % SLOTS]!);
    } else {
      this.buf = new Uint8Array(records * RECORD_SIZE);
    }
    this.view(this.buf);
  }

  /** Points the field views at a buffer of whole records. */
  private view(buf: Uint8Array): void {
    const ab = buf.buffer, off = buf.byteOffset, records = buf.byteLength / RECORD_SIZE;
    this.f64 = new Float64Array(ab, off, records * 3);
    this.u32 = new Uint32Array(ab, off, records * 6);
  }

  /** Called by the VMM once per exit, after it was handled and charged. */
  record(exit: VmExit, at: number, eip: number, cost: number, device: string | undefined): void {
    this.total++;
    let slot: number;
    if (this.ring === null) {
      if (this.count === BUFFER_RECORDS) this.flush();
      slot = this.count++;
    } else {
      slot = this.count++ % this.ring;
    }
    // One switch gives the reason's index and its detail (comparisons of interned strings).
    let detail = 0, tag: number;
    switch (exit.reason) {
      case 'io': detail = exit.port; tag = REASON_IO | (exit.write ? FLAG_WRITE << 8 : 0); break;
      case 'mmio': detail = exit.address; tag = REASON_MMIO | (exit.write ? FLAG_WRITE << 8 : 0); break;
      case 'cpuid': detail = exit.leaf; tag = REASON_INDEX.cpuid; break;
      default: tag = REASON_INDEX[exit.reason];
    }
    if (device !== this.lastDevice) {
      this.lastDevice = device;
      this.lastDeviceId = device === undefined ? NO_DEVICE : this.deviceId(device);
    }
    const w = slot * 6;
    this.f64[slot * 3] = at;
    const u32 = this.u32;
    u32[w + 2] = eip;
    u32[w + 3] = cost < 0xffffffff ? cost : 0xffffffff;
    u32[w + 4] = detail;
    // Bytes 20-23: the device id (u16), then the reason and the flags (one u16, little-endian).
    u32[w + 5] = this.lastDeviceId | (tag << 16);
  }

  private deviceId(name: string): number {
    let id = this.deviceIndex.get(name);
    if (id === undefined) {
      id = this.devices.length;
      if (id >= NO_DEVICE) return NO_DEVICE;
      this.devices.push(name);
      this.deviceIndex.set(name, id);
    }
    return id;
  }

  private flush(): void {
    if (this.count === 0) return;
    const w = this.writer;
    if (w === undefined) {
      this.write(this.buf.subarray(0, this.count * RECORD_SIZE));
    } else {
      w.publish(this.seq, this.count * RECORD_SIZE);
      this.bytesWritten += this.count * RECORD_SIZE;
      this.seq++;
      w.waitForSlot(this.seq);
      this.buf = new Uint8Array(w.slots[this.seq % SLOTS]!);
      this.view(this.buf);
    }
    this.count = 0;
  }

  private write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.bytesWritten += bytes.length;
  }

  /** Writes what is buffered and the trailer; the file is complete after this. */
  close(info: { profile: string; cpuHz: number; symbols: TraceSymbol[]; stop: string }): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ring === null) {
      this.flush();
      if (this.writer !== undefined && !this.writer.finish()) {
        closeSync(this.fd);
        throw new Error(`${this.path}: cannot write the trace (a write failed)`);
      }
    } else {
      const n = Math.min(this.count, this.ring);
      const start = this.count > this.ring ? this.count % this.ring : 0;
      const b = this.buf;
      // Oldest first: the ring's tail, then its head.
      this.write(b.subarray(start * RECORD_SIZE, n * RECORD_SIZE));
      if (start > 0) this.write(b.subarray(0, start * RECORD_SIZE));
    }
    const trailer: TraceTrailer = {
      version: 1, profile: info.profile, cpuHz: info.cpuHz, devices: this.devices, symbols: info.symbols,
      totalExits: this.total, ring: this.ring, stop: info.stop, label: this.opts.label ?? '',
    };
    const json = Buffer.from(JSON.stringify(trailer), 'utf8');
    const footer = Buffer.alloc(12);
    footer.writeUInt32LE(json.length, 0);
    footer.write(FOOTER_MAGIC, 4, 'latin1');
    this.write(json);
    this.write(footer);
    closeSync(this.fd);
  }
}
