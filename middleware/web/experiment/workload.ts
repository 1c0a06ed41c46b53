/**
 * The web experiment's workload (docs/web.md): a generated site with a file-size mix, and
 * keep-alive HTTP clients on virtual time that ask for files by Zipf popularity, one request
 * at a time each (a closed loop), checking every reply's status and bytes. Deterministic: a
 * seed names one site and one request sequence; nothing reads the clock.
 */
import { Rng, ZipfianKeys } from '../../workload/random.js';
import type { SiteEntry } from '../site.js';

/** File sizes and their shares: small pages and assets dominate, a few large files carry bytes. */
export const SIZE_MIX: readonly { bytes: number; share: number }[] = [
  { bytes: 1024, share: 0.35 },
  { bytes: 4096, share: 0.30 },
  { bytes: 16384, share: 0.20 },
  { bytes: 65536, share: 0.12 },
  { bytes: 262144, share: 0.03 },
];

const FILES_PER_DIR = 50;

export const filePath = (i: number): string => `/d${Math.floor(i / FILES_PER_DIR)}/f${i}.bin`;

/** `files` files in directories of 50, sizes from SIZE_MIX (a few bytes off so pages are not all full). */
export function benchSite(files: number, seed: number): SiteEntry[] {
  const rng = new Rng(seed);
  const out: SiteEntry[] = [];
  for (let i = 0; i < files; i++) {
    if (i % FILES_PER_DIR === 0) out.push({ path: `/d${i / FILES_PER_DIR}`, kind: 'dir', data: new Uint8Array(0) });
    let u = rng.next(), k = 0;
    while (k < SIZE_MIX.length - 1 && u >= SIZE_MIX[k]!.share) { u -= SIZE_MIX[k]!.share; k++; }
    const size = SIZE_MIX[k]!.bytes - rng.below(64);
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j += 4) { const v = rng.nextU32(); data[j] = v; data[j + 1] = v >>> 8; data[j + 2] = v >>> 16; data[j + 3] = v >>> 24; }
    out.push({ path: filePath(i), kind: 'file', data });
  }
  return out;
}

export interface HttpWorkloadSpec {
  /** Keep-alive connections, each with one request outstanding. */
  clients: number;
  /** Requests before the measurement starts (they warm the cache), then the measured ones. */
  warmup: number;
  requests: number;
  seed: number;
}

export interface HttpWorkloadResult {
  requests: number;
  bytes: number;
  seconds: number;
  requestsPerSecond: number;
  latencyUs: { p50: number; p95: number; p99: number; max: number; mean: number };
}

export interface HttpTransport {
  cpuHz: number;
  now(): number;
  connect(): number;
  send(conn: number, bytes: Uint8Array): void;
}

/** One connection's reply being read: the head, then Content-Length bytes. */
interface Conn { id: number; file: number; sentAt: number; head: Buffer<ArrayBufferLike>; need: number; got: Buffer<ArrayBufferLike>[]; gotBytes: number }

export class HttpWorkloadDriver {
  phase: 'idle' | 'warmup' | 'run' | 'done' | 'failed' = 'idle';
  failure: string | undefined;
  onPhase: ((p: HttpWorkloadDriver['phase']) => void) | undefined;
  private readonly rng: Rng;
  private readonly zipf: ZipfianKeys;
  private readonly conns = new Map<number, Conn>();
  private issued = 0;
  private completed = 0;
  private runStart = 0;
  private runEnd = 0;
  private bytes = 0;
  private readonly latencies: number[] = [];

  constructor(private readonly spec: HttpWorkloadSpec, private readonly files: readonly Uint8Array[], private readonly net: HttpTransport) {
    this.rng = new Rng(spec.seed);
    this.zipf = new ZipfianKeys(files.length);
  }

  start(): void {
    this.setPhase(this.spec.warmup > 0 ? 'warmup' : 'run');
    if (this.phase === 'run') this.runStart = this.net.now();
    for (let i = 0; i < this.spec.clients; i++) {
      const c: Conn = { id: this.net.connect(), file: 0, sentAt: 0, head: Buffer.alloc(0), need: -1, got: [], gotBytes: 0 };
      this.conns.set(c.id, c);
      this.next(c);
    }
  }

  private next(c: Conn): void {
    if (this.issued >= this.spec.warmup + this.spec.requests) return;
    this.issued++;
    c.file = this.zipf.next(this.rng);
    c.sentAt = this.net.now();
    c.head = Buffer.alloc(0); c.need = -1; c.got = []; c.gotBytes = 0;
    this.net.send(c.id, Buffer.from(`GET ${filePath(c.file)} HTTP/1.1\r\nHost: bench\r\n\r\n`, 'latin1'));
  }

  receive(conn: number, bytes: Uint8Array): void {
    const c = this.conns.get(conn);
    if (c === undefined || this.phase === 'done' || this.phase === 'failed') return;
    let b: Buffer<ArrayBufferLike> = Buffer.from(bytes);
    while (b.length > 0) {
      if (c.need < 0) {
        c.head = Buffer.concat([c.head, b]);
        const end = c.head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = c.head.toString('latin1', 0, end);
        const m = /^HTTP\/1\.1 200 [^]*\r\nContent-Length: (\d+)\r\n/.exec(head);
        if (m === null) { this.fail(`${filePath(c.file)}: ${head.split('\r\n')[0]}`); return; }
        c.need = Number(m[1]);
        b = c.head.subarray(end + 4);
        c.head = Buffer.alloc(0);
      }
      const take = Math.min(b.length, c.need - c.gotBytes);
      c.got.push(b.subarray(0, take));
      c.gotBytes += take;
      b = b.subarray(take);
      if (c.gotBytes === c.need) {
        if (b.length > 0) { this.fail('bytes after a complete reply with one request outstanding'); return; }
        this.done(c);
        return;
      }
    }
  }

  private done(c: Conn): void {
    const body = Buffer.concat(c.got);
    if (!body.equals(this.files[c.file]!)) { this.fail(`${filePath(c.file)}: the body is not the file's bytes`); return; }
    this.completed++;
    if (this.phase === 'run') {
      this.latencies.push(((this.net.now() - c.sentAt) / this.net.cpuHz) * 1e6);
      this.bytes += body.length;
    }
    if (this.phase === 'warmup' && this.completed === this.spec.warmup) {
      // Requests already in flight belong to the warm-up; from here each completion is measured.
      this.runStart = this.net.now();
      this.setPhase('run');
    }
    if (this.completed === this.spec.warmup + this.spec.requests) {
      this.runEnd = this.net.now();
      this.setPhase('done');
      return;
    }
    this.next(c);
  }

  private fail(why: string): void {
    this.failure = why;
    this.setPhase('failed');
  }

  private setPhase(p: HttpWorkloadDriver['phase']): void {
    this.phase = p;
    this.onPhase?.(p);
  }

  result(): HttpWorkloadResult {
    const secs = (this.runEnd - this.runStart) / this.net.cpuHz;
    const lat = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number): number => (lat.length === 0 ? 0 : lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]!);
    return {
      requests: lat.length, bytes: this.bytes, seconds: secs, requestsPerSecond: secs > 0 ? lat.length / secs : 0,
      latencyUs: { p50: pct(50), p95: pct(95), p99: pct(99), max: lat.at(-1) ?? 0, mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0 },
    };
  }
}
