/**
 * `vamos mkdisk`: writes a boot disk (docs/disk-format.md) from a kernel image and user
 * programs, or the project's default disk with --default. The output appears whole or not at
 * all: it is written to a temporary file next to it and renamed into place.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readHostFile } from '../vmm/host-file.js';
import { basename } from 'node:path';
import { readImage } from '../toolchain/image/read.js';
import { BOOTFS_SECTOR, DiskError, makeBootDisk, type BootFile } from '../toolchain/disk/bootfs.js';
import { DEFAULT_CMDLINE, buildDefaultDisk } from '../toolchain/disk/default-disk.js';
import { ImageError } from '../toolchain/image/format.js';
import { UsageError, parseArgs, type Flags } from './args.js';
import type { Io } from './io.js';

const FLAGS = {
  o: { kind: 'string', value: 'FILE', help: 'the disk image to write (required)' },
  kernel: { kind: 'string', value: 'FILE', help: 'the kernel image (MXI)' },
  cmdline: { kind: 'string', value: 'TEXT', help: 'the default kernel command line stored on the disk' },
  size: { kind: 'string', value: 'SIZE', help: 'pad the disk to SECTORS, or to NK / NM bytes' },
  default: { kind: 'boolean', help: 'build the default disk (the kernel and all user programs)' },
  help: { kind: 'boolean', help: 'show this help' },
} satisfies Flags;

export function mkdiskUsage(): string {
  return `usage: vamos mkdisk -o disk.img --kernel kernel.img [options] [NAME=]prog.img ...
       vamos mkdisk --default -o disk.img [--cmdline TEXT] [--size SIZE]

Writes a boot disk: the kernel (stored as "kernel", the file the firmware boots) and user
programs, each an MXI image, named NAME or the file name without .img. --default builds the
kernel from guest-os/kernel/ and every program under guest-os/user/, with the command line
'${DEFAULT_CMDLINE}' unless --cmdline says otherwise.

options:
  -o FILE              the disk image to write (required)
  --kernel FILE        the kernel image (MXI)
  --cmdline TEXT       the default kernel command line stored on the disk (printable ASCII)
  --size SIZE          pad the disk to SIZE: a number of 512-byte sectors, or NK / NM bytes
  --default            build the project's default disk
  --help               show this help

Exit codes: 0 success, 1 bad input (an image, a name, a size too small), 2 usage errors.
`;
}

/** "2048" sectors, "64K" / "1M" bytes (K and M are multiples of the sector size). */
export function parseDiskSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text);
  if (!m) throw new UsageError(`--size: '${text}' is not a size (examples: 2048, 512K, 4M)`);
  const n = Number(m[1]);
  if (!m[2]) {
    if (!Number.isSafeInteger(n) || n > 0xffff_ffff) throw new UsageError(`--size: '${text}' is too large`);
    return n;
  }
  const bytes = n * (m[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024);
  if (bytes / BOOTFS_SECTOR > 0xffff_ffff) throw new UsageError(`--size: '${text}' is too large`);
  return bytes / BOOTFS_SECTOR;
}

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readHostFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? (e as Error).message;
    throw new DiskError(path, `cannot read: ${why}`);
  }
}

/** An MXI image file, checked with the image reader. */
function readProgram(path: string): Uint8Array {
  const bytes = readInput(path);
  readImage(bytes, path); // throws ImageError with a one-line message
  return bytes;
}

function programArg(arg: string): BootFile {
  const m = /^([^=/\\]+)=(.+)$/.exec(arg);
  const [name, path] = m ? [m[1]!, m[2]!] : [basename(arg).replace(/\.img$/, ''), arg];
  return { name, data: readProgram(path), exec: true };
}

/** Writes to a temporary file beside `path`, then renames it over `path`. */
export function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* it may not exist */ }
    const code = (e as NodeJS.ErrnoException).code;
    throw new DiskError(path, `cannot write: ${code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
  }
}

export function mkdiskMain(argv: string[], io: Io): number {
  try {
    const { flags, positional } = parseArgs(argv, FLAGS);
    if (flags.help) {
      io.stdout(mkdiskUsage());
      return 0;
    }
    const out = flags.o;
    if (out === undefined) throw new UsageError('-o FILE is required');
    const sectors = flags.size === undefined ? undefined : parseDiskSize(flags.size);
    let disk: Uint8Array;
    if (flags.default) {
      if (flags.kernel !== undefined) throw new UsageError('--default builds its own kernel; drop --kernel');
      if (positional.length > 0) throw new UsageError('--default takes no program files');
      disk = buildDefaultDisk({ cmdline: flags.cmdline, sectors });
    } else {
      if (flags.kernel === undefined) throw new UsageError('--kernel FILE is required (or --default)');
      const kernel = readProgram(flags.kernel);
      const files = positional.map(programArg);
      disk = makeBootDisk({ kernel, files, cmdline: flags.cmdline, sectors, source: out });
    }
    writeAtomically(out, disk);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`vamos mkdisk: ${e.message}\n${mkdiskUsage()}`);
      return 2;
    }
    if (e instanceof DiskError || e instanceof ImageError) {
      io.stderr(`vamos mkdisk: ${e.message}\n`);
      return 1;
    }
    if (e instanceof Error && !(e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError)) {
      // Build failures of --default (compiler, linker) are input errors too.
      io.stderr(`vamos mkdisk: ${e.message.split('\n')[0]}\n`);
      return 1;
    }
    throw e;
  }
}
