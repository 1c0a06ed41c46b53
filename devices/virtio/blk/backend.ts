/**
 * Where a virtio-blk disk's sectors live. Backends are synchronous: the device executes a
 * request inside the exit that carried its notification, and the virtual clock, not the host,
 * decides when the guest sees the completion.
 */
import { SECTOR_SIZE } from './request.js';

export interface BlockBackend {
  /** Capacity in 512-byte sectors. */
  readonly sectors: number;
  readonly readOnly: boolean;
  /** Fills `into` (a whole number of sectors) from `sector` on. */
  read(sector: number, into: Uint8Array): void;
  /** Optional zero-copy read: a view of the sectors, valid until the next call on the backend. */
  view?(sector: number, bytes: number): Uint8Array;
  write(sector: number, data: Uint8Array): void;
  /** Returns once every completed write is durable. */
  flush(): void;
  /** The sectors' contents become unspecified; both built-in backends zero them. */
  discard(sector: number, count: number): void;
  writeZeroes(sector: number, count: number): void;
  close?(): void;
}

/** One-line errors for the CLI: what is wrong and with which disk. */
export class BlockBackendError extends Error {}

export class MemoryBackend implements BlockBackend {
  readonly data: Uint8Array;

  constructor(sectors: number, readonly readOnly = false, initial?: Uint8Array) {
    if (!Number.isSafeInteger(sectors) || sectors < 0) throw new BlockBackendError(`memory disk: bad sector count ${sectors}`);
    this.data = new Uint8Array(sectors * SECTOR_SIZE);
    if (initial !== undefined) this.data.set(initial.subarray(0, this.data.length));
  }

  get sectors(): number {
    return this.data.length / SECTOR_SIZE;
  }

  read(sector: number, into: Uint8Array): void {
    const at = sector * SECTOR_SIZE;
    into.set(this.data.subarray(at, at + into.length));
  }

  view(sector: number, bytes: number): Uint8Array {
    return this.data.subarray(sector * SECTOR_SIZE, sector * SECTOR_SIZE + bytes);
  }

  write(sector: number, data: Uint8Array): void {
    this.data.set(data, sector * SECTOR_SIZE);
  }

  flush(): void {}

  discard(sector: number, count: number): void {
    this.writeZeroes(sector, count);
  }

  writeZeroes(sector: number, count: number): void {
    this.data.fill(0, sector * SECTOR_SIZE, (sector + count) * SECTOR_SIZE);
  }
}
