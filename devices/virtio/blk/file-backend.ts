/**
 * A disk in a host file, through node:fs synchronous calls (the device runs inside an exit, so
 * there is nothing to overlap with). FLUSH is fdatasync: when the guest sees FLUSH complete,
 * the data survives a host crash. A read-write open holds the file exclusively (lock.ts).
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { BlockBackendError, type BlockBackend } from './backend.js';
import { SECTOR_SIZE } from './request.js';
import { DiskLock, DiskLockError } from './lock.js';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ELOOP: 'too many symbolic links',
  ENOTDIR: 'a path component is not a directory',
};

export class FileBackend implements BlockBackend {
  readonly sectors: number;
  private fd: number | undefined;
  private lock: DiskLock | undefined;

  /** A read-only disk is opened O_RDONLY, so not even a device bug can change the file. */
  constructor(readonly path: string, readonly readOnly = false) {
    try {
      this.fd = openSync(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const hint = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? (readOnly ? '' : ' (open it read-only?)') : '';
      throw new BlockBackendError(`disk ${path}: cannot open ${readOnly ? 'read-only' : 'read-write'}: ${WHY[code] ?? code}${hint}`);
    }
    const st = fstatSync(this.fd);
    if (!st.isFile()) {
      this.close();
      throw new BlockBackendError(`disk ${path}: not a regular file`);
    }
    if (st.size % SECTOR_SIZE !== 0) {
      this.close();
      throw new BlockBackendError(`disk ${path}: size ${st.size} is not a multiple of ${SECTOR_SIZE} bytes`);
    }
    this.sectors = st.size / SECTOR_SIZE;
    // Two writers of one file lose each other's writes: a read-write open is exclusive.
    if (!readOnly) {
      try {
        this.lock = DiskLock.acquire(path, `disk ${path}`);
      } catch (e) {
        this.close();
        throw e instanceof DiskLockError ? new BlockBackendError(e.message) : e;
      }
    }
  }

  private handle(): number {
    if (this.fd === undefined) throw new BlockBackendError(`disk ${this.path}: closed`);
    return this.fd;
  }

  read(sector: number, into: Uint8Array): void {
    const fd = this.handle();
    let done = 0;
    while (done < into.length) {
      const n = readSync(fd, into, done, into.length - done, sector * SECTOR_SIZE + done);
      if (n === 0) throw new BlockBackendError(`disk ${this.path}: short read at sector ${sector}`);
      done += n;
    }
  }

  write(sector: number, data: Uint8Array): void {
    const fd = this.handle();
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, sector * SECTOR_SIZE + done);
  }

  flush(): void {
    if (!this.readOnly) fdatasyncSync(this.handle());
  }

  discard(sector: number, count: number): void {
    this.writeZeroes(sector, count);
  }

  writeZeroes(sector: number, count: number): void {
    const chunk = new Uint8Array(Math.min(count, 2048) * SECTOR_SIZE);
    for (let s = 0; s < count; s += chunk.length / SECTOR_SIZE) {
      const n = Math.min(count - s, chunk.length / SECTOR_SIZE);
      this.write(sector + s, chunk.subarray(0, n * SECTOR_SIZE));
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.lock?.release();
    this.lock = undefined;
  }
}
