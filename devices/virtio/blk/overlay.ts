/**
 * A copy-on-write disk over a base image: reads come from the base until a 4 KiB chunk is first
 * written, which then gets a private copy. The paper's sweep starts every run from the same
 * loaded 64 MiB volume; copying it whole cost each run about 0.15 s of host time and 64 MiB of
 * memory, while a run writes a few hundred KiB. The base is never written.
 */
import type { BlockBackend } from './backend.js';
import { BlockBackendError } from './backend.js';
import { SECTOR_SIZE } from './request.js';

const CHUNK = 4096;

export class OverlayBackend implements BlockBackend {
  readonly sectors: number;
  /** Private copies of the chunks written so far, by chunk index. */
  private readonly chunks: (Uint8Array | undefined)[];

  constructor(private readonly base: Uint8Array, readonly readOnly = false) {
    if (base.length % SECTOR_SIZE !== 0) throw new BlockBackendError(`overlay disk: base of ${base.length} bytes is not whole sectors`);
    this.sectors = base.length / SECTOR_SIZE;
    this.chunks = new Array<Uint8Array | undefined>(Math.ceil(base.length / CHUNK));
  }

  /** Calls `piece(chunkIndex, offsetInChunk, offsetInBuffer, length)` for each chunk [at, at+len) touches. */
  private each(at: number, len: number, piece: (k: number, off: number, pos: number, n: number) => void): void {
    for (let pos = 0; pos < len;) {
      const k = Math.floor((at + pos) / CHUNK), off = (at + pos) % CHUNK;
      const n = Math.min(CHUNK - off, len - pos);
      piece(k, off, pos, n);
      pos += n;
    }
  }

  /** The chunk's private copy, made from the base on first use. */
  private own(k: number): Uint8Array {
    let c = this.chunks[k];
    if (c === undefined) {
      c = this.base.slice(k * CHUNK, Math.min(this.base.length, (k + 1) * CHUNK));
      this.chunks[k] = c;
    }
    return c;
  }

  read(sector: number, into: Uint8Array): void {
    this.each(sector * SECTOR_SIZE, into.length, (k, off, pos, n) => {
      const c = this.chunks[k];
      into.set(c !== undefined ? c.subarray(off, off + n) : this.base.subarray(k * CHUNK + off, k * CHUNK + off + n), pos);
    });
  }

  view(sector: number, bytes: number): Uint8Array {
    const at = sector * SECTOR_SIZE;
    const k = Math.floor(at / CHUNK);
    if (Math.floor((at + bytes - 1) / CHUNK) === k || bytes === 0) {
      const c = this.chunks[k];
      return c !== undefined ? c.subarray(at % CHUNK, at % CHUNK + bytes) : this.base.subarray(at, at + bytes);
    }
    const out = new Uint8Array(bytes);
    this.read(sector, out);
    return out;
  }

  write(sector: number, data: Uint8Array): void {
    this.each(sector * SECTOR_SIZE, data.length, (k, off, pos, n) => { this.own(k).set(data.subarray(pos, pos + n), off); });
  }

  flush(): void {}

  discard(sector: number, count: number): void {
    this.writeZeroes(sector, count);
  }

  writeZeroes(sector: number, count: number): void {
    this.each(sector * SECTOR_SIZE, count * SECTOR_SIZE, (k, off, _pos, n) => { this.own(k).fill(0, off, off + n); });
  }

  /** The whole disk as one new array (base and private chunks merged). */
  contents(): Uint8Array {
    const out = this.base.slice();
    this.chunks.forEach((c, k) => { if (c !== undefined) out.set(c, k * CHUNK); });
    return out;
  }
}
