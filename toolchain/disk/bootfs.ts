/**
 * The vamos boot-disk file system (VBFS): writing and reading. guest-os/include/bootfs.h is the
 * contract and docs/disk-format.md describes every byte; the numbers here are the same.
 *
 * Layout written by makeBootDisk: sector 0 the superblock (with the default command line),
 * sectors 1.. the directory (64-byte entries), then each file as a contiguous run of whole
 * sectors in directory order, the kernel first; then zero padding up to `sectors`.
 *
 * readBootDisk checks everything a reader could trip over and throws a DiskError with one line,
 * "<source>: <problem>", whatever the bytes.
 */
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { oneLine } from '../image/format.js';
import { crc32 } from './crc32.js';

export const BOOTFS_SECTOR = 512;
export const BOOTFS_MAGIC = 0x5346_4256; // "VBFS"
export const BOOTFS_VERSION = 1;
export const BOOTFS_NAME_MAX = 48; // including the NUL
export const BOOTFS_CMDLINE_OFF = 0x40;
export const BOOTFS_CMDLINE_MAX = BOOTFS_SECTOR - BOOTFS_CMDLINE_OFF; // including the NUL
export const BOOTFS_F_BOOT = 1;
export const BOOTFS_F_EXEC = 2;
export const BOOTFS_ENTRY_SIZE = 64;
export const BOOTFS_RESERVED_START = 0x20;
/** The name the kernel file gets on disks that makeBootDisk writes. */
export const KERNEL_FILE_NAME = 'kernel';

const NAME_RE = /^[A-Za-z0-9._-]+$/;

export class DiskError extends Error {
  constructor(readonly source: string, problem: string) {
    super(`${oneLine(source)}: ${oneLine(problem)}`);
    this.name = 'DiskError';
  }
}

export interface BootFile {
  name: string;
  data: Uint8Array;
  exec?: boolean;
}

export interface MakeBootDiskOptions {
  /** The kernel's MXI bytes; stored as file "kernel" with BOOTFS_F_BOOT. */
  kernel: Uint8Array;
  files: BootFile[];
  /** The default command line (printable ASCII, at most 447 bytes). */
  cmdline?: string;
  /** Pad the image to this many sectors (an error if the contents need more). */
  sectors?: number;
  /** Names the disk in error messages. */
  source?: string;
}

export interface DiskFile {
  name: string;
  flags: number;
  startSector: number;
  size: number;
  checksum: number;
  /** A copy of the file's bytes. */
  data: Uint8Array;
}

export interface BootDisk {
  totalSectors: number;
  cmdline: string;
  files: DiskFile[];
  /** The entry with BOOTFS_F_BOOT (there is exactly one). */
  kernel: DiskFile;
}

const sectorsFor = (bytes: number): number => Math.ceil(bytes / BOOTFS_SECTOR);

/** Why a name cannot be a VBFS file name, or undefined when it can. */
export function badName(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > BOOTFS_NAME_MAX - 1) return `is ${name.length} bytes long (the limit is ${BOOTFS_NAME_MAX - 1})`;
  if (!NAME_RE.test(name)) return 'may contain only letters, digits, ".", "_" and "-"';
  if (name === '.' || name === '..') return 'is reserved';
  return undefined;
}

/** Why a default command line cannot be stored, or undefined when it can. */
export function badCmdline(cmdline: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(cmdline)) return 'may contain only printable ASCII characters';
  if (cmdline.length > BOOTFS_CMDLINE_MAX - 1) {
    return `is ${cmdline.length} bytes long (the limit is ${BOOTFS_CMDLINE_MAX - 1})`;
  }
  return undefined;
}

export function makeBootDisk(opts: MakeBootDiskOptions): Uint8Array {
  const source = opts.source ?? 'disk';
  const fail = (problem: string): never => {
    throw new DiskError(source, problem);
  };
  const cmdline = opts.cmdline ?? '';
  const cmdProblem = badCmdline(cmdline);
  if (cmdProblem) fail(`bad command line: the default command line ${cmdProblem}`);

  const entries = [
    { name: KERNEL_FILE_NAME, data: opts.kernel, flags: BOOTFS_F_BOOT },
    ...opts.files.map((f) => ({ name: f.name, data: f.data, flags: f.exec ? BOOTFS_F_EXEC : 0 })),
  ];
  const seen = new Set<string>();
  for (const e of entries) {
    const problem = badName(e.name);
    if (problem) fail(`bad file name: ${JSON.stringify(e.name)} ${problem}`);
    if (seen.has(e.name)) fail(`duplicate file name: ${JSON.stringify(e.name)}`);
    seen.add(e.name);
  }

  const dirSectors = sectorsFor(entries.length * BOOTFS_ENTRY_SIZE);
  let next = 1 + dirSectors;
  const starts = entries.map((e) => {
    const at = next;
    next += sectorsFor(e.data.length);
    return at;
  });
  const needed = next;
  const total = opts.sectors ?? needed;
  if (!Number.isInteger(total) || total < 0 || total > 0xffff_ffff) fail(`bad size: ${total} sectors`);
  if (total < needed) fail(`too small: the files need ${needed} sectors but the disk size is ${total} sectors`);

  const image = new Uint8Array(total * BOOTFS_SECTOR);
  const view = new DataView(image.buffer);
  const dir = image.subarray(BOOTFS_SECTOR, BOOTFS_SECTOR + entries.length * BOOTFS_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const at = BOOTFS_SECTOR + i * BOOTFS_ENTRY_SIZE;
    image.set(new TextEncoder().encode(e.name), at);
    view.setUint32(at + 0x30, starts[i]!, true);
    view.setUint32(at + 0x34, e.data.length, true);
    view.setUint32(at + 0x38, e.flags, true);
    view.setUint32(at + 0x3c, crc32(e.data), true);
    image.set(e.data, starts[i]! * BOOTFS_SECTOR);
  });
  view.setUint32(0x00, BOOTFS_MAGIC, true);
  view.setUint32(0x04, BOOTFS_VERSION, true);
  view.setUint32(0x08, total, true);
  view.setUint32(0x0c, entries.length, true);
  view.setUint32(0x10, 1, true);
  view.setUint32(0x14, dirSectors, true);
  view.setUint32(0x18, crc32(dir), true);
  view.setUint32(0x1c, cmdline.length, true);
  image.set(new TextEncoder().encode(cmdline), BOOTFS_CMDLINE_OFF);
  return image;
}

/** Whether the bytes start like a boot disk (the magic only; readBootDisk checks the rest). */
export function isBootDisk(bytes: Uint8Array): boolean {
  return bytes.length >= BOOTFS_SECTOR &&
    new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === BOOTFS_MAGIC;
}

interface RawSuper {
  magic: number;
  version: number;
  totalSectors: number;
  fileCount: number;
  dirSector: number;
  dirSectors: number;
  dirChecksum: number;
  cmdlineLen: number;
  reserved: Uint8Array;
  cmdline: Uint8Array;
}

interface RawEntry {
  name: Uint8Array;
  startSector: number;
  size: number;
  flags: number;
  checksum: number;
}

// Declared field by field in the order of bootfs.h, so the two can be read side by side.
const superParser = new Parser()
  .endianness('little')
  .uint32('magic')
  .uint32('version')
  .uint32('totalSectors')
  .uint32('fileCount')
  .uint32('dirSector')
  .uint32('dirSectors')
  .uint32('dirChecksum')
  .uint32('cmdlineLen')
  .buffer('reserved', { length: BOOTFS_CMDLINE_OFF - BOOTFS_RESERVED_START })
  .buffer('cmdline', { length: BOOTFS_CMDLINE_MAX });

const entryParser = new Parser()
  .endianness('little')
  .buffer('name', { length: BOOTFS_NAME_MAX })
  .uint32('startSector')
  .uint32('size')
  .uint32('flags')
  .uint32('checksum');

// The directory is handed over as an exact slice, so "until eof" means "file_count entries".
const dirParser = new Parser().array('entries', { type: entryParser, readUntil: 'eof' });

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export function readBootDisk(bytes: Uint8Array, source = 'disk'): BootDisk {
  const fail = (problem: string): never => {
    throw new DiskError(source, problem);
  };
  const parse = <T>(parser: Parser, slice: Uint8Array, what: string): T => {
    try {
      return parser.parse(slice) as T;
    } catch (e) { // lengths are checked first; this is a second line of defence
      return fail(`unreadable ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  if (bytes.length < BOOTFS_SECTOR) {
    fail(`truncated: the superblock needs ${BOOTFS_SECTOR} bytes but the image has ${bytes.length}`);
  }
  const sb = parse<RawSuper>(superParser, bytes.subarray(0, BOOTFS_SECTOR), 'superblock');
  if (sb.magic !== BOOTFS_MAGIC) {
    const found = bytes.subarray(0, 4);
    const text = Array.from(found, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    fail(`bad magic: expected "VBFS" but found ${Array.from(found, (b) => b.toString(16).padStart(2, '0')).join(' ')} ("${text}")`);
  }
  if (sb.version !== BOOTFS_VERSION) fail(`unsupported version ${sb.version} (this reader knows version ${BOOTFS_VERSION})`);
  if (sb.reserved.some((b) => b !== 0)) fail('bad superblock: reserved bytes 0x20..0x3f are not zero');
  const imageSectors = Math.floor(bytes.length / BOOTFS_SECTOR);
  if (sb.totalSectors > imageSectors) {
    fail(`truncated: the superblock says ${sb.totalSectors} sectors but the image has ${imageSectors}`);
  }

  if (sb.cmdlineLen > BOOTFS_CMDLINE_MAX - 1) {
    fail(`bad command line: length ${sb.cmdlineLen} is more than ${BOOTFS_CMDLINE_MAX - 1} bytes`);
  }
  const cmdBytes = sb.cmdline.subarray(0, sb.cmdlineLen);
  if (cmdBytes.some((b) => b < 0x20 || b > 0x7e)) fail('bad command line: it contains bytes that are not printable ASCII');
  if (sb.cmdline.subarray(sb.cmdlineLen).some((b) => b !== 0)) {
    fail(`bad command line: the bytes after its ${sb.cmdlineLen} characters are not all NUL`);
  }
  const cmdline = String.fromCharCode(...cmdBytes);

  if (sb.fileCount === 0) fail('no kernel: the directory is empty');
  if (sb.dirSector === 0) fail('bad directory: it starts in sector 0, the superblock');
  // Compared as quotients so that a huge file_count cannot overflow anything.
  const wantDirSectors = Math.ceil(sb.fileCount / (BOOTFS_SECTOR / BOOTFS_ENTRY_SIZE));
  if (sb.dirSectors !== wantDirSectors) {
    fail(`bad directory: ${sb.fileCount} entries need ${wantDirSectors} sectors but the superblock says ${sb.dirSectors}`);
  }
  const dirEnd = sb.dirSector + sb.dirSectors;
  if (dirEnd > sb.totalSectors) {
    fail(`bad directory: sectors ${sb.dirSector}..${dirEnd - 1} run past the end of the disk (${sb.totalSectors} sectors)`);
  }
  const dirBytes = bytes.subarray(sb.dirSector * BOOTFS_SECTOR, sb.dirSector * BOOTFS_SECTOR + sb.fileCount * BOOTFS_ENTRY_SIZE);
  const dirSum = crc32(dirBytes);
  if (dirSum !== sb.dirChecksum) {
    fail(`bad directory checksum: the superblock says ${hex(sb.dirChecksum)} but the directory's CRC-32 is ${hex(dirSum)}`);
  }

  const raw = parse<{ entries: RawEntry[] }>(dirParser, dirBytes, 'directory').entries;
  const names = new Map<string, number>();
  const files: DiskFile[] = [];
  let kernel: DiskFile | undefined;
  raw.forEach((e, i) => {
    const nul = e.name.indexOf(0);
    if (nul < 0) fail(`bad file name: entry ${i} has no NUL in its ${BOOTFS_NAME_MAX} name bytes`);
    const name = String.fromCharCode(...e.name.subarray(0, nul));
    const label = `entry ${i} ${JSON.stringify(name)}`;
    const problem = badName(name);
    if (problem) fail(`bad file name: entry ${i} name ${JSON.stringify(name)} ${problem}`);
    if (e.name.subarray(nul).some((b) => b !== 0)) fail(`bad file name: ${label} has bytes after its NUL`);
    const first = names.get(name);
    if (first !== undefined) fail(`duplicate file name: entries ${first} and ${i} are both ${JSON.stringify(name)}`);
    names.set(name, i);

    const known = BOOTFS_F_BOOT | BOOTFS_F_EXEC;
    if (e.flags & ~known) fail(`bad flags: ${label} has unknown flag bits 0x${(e.flags & ~known).toString(16)} (known: BOOT=1 EXEC=2)`);
    if (e.flags === (BOOTFS_F_BOOT | BOOTFS_F_EXEC)) fail(`bad flags: ${label} is both the kernel (BOOT) and a program (EXEC)`);

    const sectors = sectorsFor(e.size);
    if (e.startSector < dirEnd) {
      fail(`bad file: ${label} starts in sector ${e.startSector}, before the end of the directory (sector ${dirEnd})`);
    }
    if (e.startSector + sectors > sb.totalSectors) {
      fail(`bad file: ${label} (${e.size} bytes from sector ${e.startSector}) runs past the end of the disk (${sb.totalSectors} sectors)`);
    }
    const start = e.startSector * BOOTFS_SECTOR;
    const data = bytes.slice(start, start + e.size);
    const sum = crc32(data);
    if (sum !== e.checksum) {
      fail(`bad file checksum: ${label} should have CRC-32 ${hex(e.checksum)} but has ${hex(sum)}`);
    }
    const file: DiskFile = { name, flags: e.flags, startSector: e.startSector, size: e.size, checksum: e.checksum, data };
    if (e.flags & BOOTFS_F_BOOT) {
      if (kernel) fail(`two kernels: entries ${names.get(kernel.name)} and ${i} both have the BOOT flag`);
      kernel = file;
    }
    files.push(file);
  });
  checkNoOverlap(files, fail);
  if (!kernel) fail('no kernel: no directory entry has the BOOT flag');
  return { totalSectors: sb.totalSectors, cmdline, files, kernel: kernel! };
}

/** Files occupy whole sectors; two may not share one (empty files occupy none). */
function checkNoOverlap(files: DiskFile[], fail: (problem: string) => never): void {
  const order = files.map((f, i) => ({ f, i, end: f.startSector + sectorsFor(f.size) }))
    .filter((x) => x.end > x.f.startSector)
    .sort((a, b) => a.f.startSector - b.f.startSector || a.i - b.i);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1]!;
    const b = order[k]!;
    if (b.f.startSector < a.end) {
      const [x, y] = a.i < b.i ? [a, b] : [b, a];
      fail(`overlap: entry ${y.i} ${JSON.stringify(y.f.name)} (sectors ${y.f.startSector}..${y.end - 1}) ` +
        `shares sectors with entry ${x.i} ${JSON.stringify(x.f.name)} (sectors ${x.f.startSector}..${x.end - 1})`);
    }
  }
}
