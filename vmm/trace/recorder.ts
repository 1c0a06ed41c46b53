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
// Bytes 20-23 of a record, read as one little-endian u32: device id (u16), reason (u8), flags
// (u8). These are the reason and flag bits of that word, precomputed so that the per-exit path
// only ORs in the device id.
const tagWord = (reason: ExitReason, flags = 0): number => ((REASON_INDEX[reason] | (flags << 8)) << 16) >>> 0;
const IO_READ = tagWord('io'), IO_WRITE = tagWord('io', FLAG_WRITE);
const MMIO_READ = tagWord('mmio'), MMIO_WRITE = tagWord('mmio', FLAG_WRITE);
const REASON_WORD = Object.fromEntries(EXIT_REASONS.map((r) => [r, tagWord(r)])) as Record<ExitReason, number>;

export interface TraceOptions {
  /** Keep only the last `ring` exits (bounded memory for very long runs). */
  ring?: number;
  label?: string;
}

export class TraceRecorder {
  // record() runs once per exit: it touches only the fields up to `passed`, and what it does not
  // need on every exit (a full buffer, a ring's next lap, a new device) is in separate methods,
  // so it stays small enough for V8 to inline into the VMM's exit path when its budget allows.
  /** Views of the buffer being filled at each field's width: a record is 3 f64 = 6 u32 slots. */
  private f64!: Float64Array;
  private u32!: Uint32Array;
  /** Records in the buffer (stream mode), or in the current lap of the ring. */
  private count = 0;
  /** Records the buffer holds: BUFFER_RECORDS, or the ring's size. */
  private readonly capacity: number;
  private lastDevice: string | undefined = undefined;
  private lastDeviceId = NO_DEVICE;
  /** Records before the current buffer (handed off), or in completed laps of the ring. */
  private passed = 0;
  private readonly fd: number;
  private readonly ring: number | null;
  private buf: Uint8Array;
  /** Stream mode with the writer thread: full buffers are written there (writer.ts). */
  private readonly writer: TraceWriterThread | undefined;
  /** Sequence number of the writer slot being filled. */
  private seq = 0;
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
    this.capacity = this.ring ?? BUFFER_RECORDS;
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
      this.buf = new Uint8Array(this.capacity * RECORD_SIZE);
    }
    this.view(this.buf);
  }

  /** Points the field views at a buffer of whole records. */
  private view(buf: Uint8Array): void {
    const ab = buf.buffer, off = buf.byteOffset, records = buf.byteLength / RECORD_SIZE;
    this.f64 = new Float64Array(ab, off, records * 3);
    this.u32 = new Uint32Array(ab, off, records * 6);
  }

  /** Exits recorded so far (more than the records kept when a ring has wrapped). */
  get total(): number {
    return this.passed + this.count;
  }

  /** Called by the VMM once per exit, after it was handled and charged. */
  record(exit: VmExit, at: number, eip: number, cost: number, device: string | undefined): void {
    let slot = this.count;
    if (slot === this.capacity) slot = this.full();
    this.count = slot + 1;
    if (device !== this.lastDevice) this.newDevice(device);
    const u32 = this.u32, w = slot * 6;
    this.f64[slot * 3] = at;
    u32[w + 2] = eip;
    u32[w + 3] = cost < 0xffffffff ? cost : 0xffffffff;
    // Bytes 16-19 the detail; 20-23 the device id, then reason and flags (tagWord).
    switch (exit.reason) {
      case 'io': u32[w + 4] = exit.port; u32[w + 5] = this.lastDeviceId | (exit.write ? IO_WRITE : IO_READ); break;
      case 'mmio': u32[w + 4] = exit.address; u32[w + 5] = this.lastDeviceId | (exit.write ? MMIO_WRITE : MMIO_READ); break;
      case 'cpuid': u32[w + 4] = exit.leaf; u32[w + 5] = this.lastDeviceId | REASON_WORD.cpuid; break;
      default: u32[w + 4] = 0; u32[w + 5] = this.lastDeviceId | REASON_WORD[exit.reason];
    }
  }

  /** The buffer is full: hand it off (stream) or start the ring's next lap. Returns the slot to fill. */
  private full(): number {
    if (this.ring === null) this.flush();
    else {
      this.passed += this.count;
      this.count = 0;
    }
    return 0;
  }

  private newDevice(device: string | undefined): void {
    this.lastDevice = device;
    this.lastDeviceId = device === undefined ? NO_DEVICE : this.deviceId(device);
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
      w.publish(this.seq, this.count * RECORD_SIZE, this.bytesWritten);
      this.bytesWritten += this.count * RECORD_SIZE;
      this.seq++;
      w.waitForSlot(this.seq);
      this.buf = new Uint8Array(w.slots[this.seq % SLOTS]!);
      this.view(this.buf);
    }
    this.passed += this.count;
    this.count = 0;
  }

  private write(bytes: Uint8Array): void {
    let off = 0;
    // At an explicit position, like the writer thread's writes (which do not move the file offset).
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, this.bytesWritten + off);
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
      // Oldest first: after a lap, the rest of the previous lap (from count on), then this one.
      const b = this.buf;
      if (this.passed > 0) this.write(b.subarray(this.count * RECORD_SIZE));
      this.write(b.subarray(0, this.count * RECORD_SIZE));
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
