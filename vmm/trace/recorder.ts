/**
 * Records every exit of a run for `vamos report`. Recording only observes: it reads the exit
 * after the VMM handled it and never feeds anything back, so a traced run is the same run.
 * Records are buffered and written with synchronous writes; in ring mode only the last N are
 * kept in memory and written at the end.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { EXIT_REASONS, type ExitReason, type VmExit } from '../exits.js';
import { FLAG_WRITE, FOOTER_MAGIC, NO_DEVICE, RECORD_SIZE, type TraceSymbol, type TraceTrailer } from './format.js';

const BUFFER_RECORDS = 1 << 15;
const REASON_INDEX = new Map<ExitReason, number>(EXIT_REASONS.map((r, k) => [r, k]));

export interface TraceOptions {
  /** Keep only the last `ring` exits (bounded memory for very long runs). */
  ring?: number;
  label?: string;
}

export class TraceRecorder {
  private readonly fd: number;
  private readonly ring: number | null;
  private buf: Buffer;
  private view: DataView;
  /** Records in buf (stream mode), or records ever written to the ring. */
  private count = 0;
  private total = 0;
  private readonly devices: string[] = [];
  private readonly deviceIndex = new Map<string, number>();
  private closed = false;
  bytesWritten = 0;

  constructor(readonly path: string, private readonly opts: TraceOptions = {}) {
    if (opts.ring !== undefined && (!Number.isInteger(opts.ring) || opts.ring <= 0)) {
      throw new Error(`trace ring size must be a positive whole number, got ${opts.ring}`);
    }
    this.ring = opts.ring ?? null;
    this.buf = Buffer.alloc((this.ring ?? BUFFER_RECORDS) * RECORD_SIZE);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(`${path}: cannot write the trace: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
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
    const v = this.view, o = slot * RECORD_SIZE;
    v.setFloat64(o, at, true);
    v.setUint32(o + 8, eip >>> 0, true);
    v.setUint32(o + 12, Math.min(cost, 0xffffffff), true);
    let detail = 0, flags = 0;
    if (exit.reason === 'io') { detail = exit.port; flags = exit.write ? FLAG_WRITE : 0; }
    else if (exit.reason === 'mmio') { detail = exit.address; flags = exit.write ? FLAG_WRITE : 0; }
    else if (exit.reason === 'cpuid') detail = exit.leaf;
    v.setUint32(o + 16, detail >>> 0, true);
    v.setUint16(o + 20, device === undefined ? NO_DEVICE : this.deviceId(device), true);
    v.setUint8(o + 22, REASON_INDEX.get(exit.reason)!);
    v.setUint8(o + 23, flags);
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
    this.write(this.buf.subarray(0, this.count * RECORD_SIZE));
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
