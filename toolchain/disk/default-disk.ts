/**
 * The project's default boot disk: the kernel (guest-os/kernel/) and every user program
 * (guest-os/user/<name>/), built by guest-os/os-build.ts, with DEFAULT_CMDLINE. `vamos mkdisk
 * --default`, `vamos boot`, the tests and the bench all get their disk from here.
 */
import { buildKernel, buildUserProgram, userProgramNames } from '../../guest-os/os-build.js';
import { writeImage } from '../image/write.js';
import { makeBootDisk } from './bootfs.js';

/** What init runs when neither the VMM's --cmdline nor a caller says otherwise. */
export const DEFAULT_CMDLINE = 'run=hello';

export interface DefaultDiskOptions {
  /** The default command line stored on the disk (DEFAULT_CMDLINE if not given). */
  cmdline?: string;
  /** Pad the disk to this many sectors. */
  sectors?: number;
  /** Extra -D definitions for the kernel and program builds. */
  defines?: readonly string[];
}

/** Folders of guest-os/user/ that hold shared code, not a program. */
const NOT_PROGRAMS = new Set(['lib', 'include']);

/** The user programs the default disk carries, in name order. */
export function defaultProgramNames(): string[] {
  return userProgramNames().filter((n) => !NOT_PROGRAMS.has(n));
}

export function buildDefaultDisk(opts: DefaultDiskOptions = {}): Uint8Array {
  const build = opts.defines ? { defines: opts.defines } : {};
  const kernel = writeImage(buildKernel(build), 'kernel');
  const files = defaultProgramNames().map((name) => ({
    name, data: writeImage(buildUserProgram(name, build), name), exec: true,
  }));
  return makeBootDisk({
    kernel, files, cmdline: opts.cmdline ?? DEFAULT_CMDLINE, sectors: opts.sectors, source: 'default disk',
  });
}
