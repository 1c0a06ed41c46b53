/**
 * Builds the guest operating system from its sources: the kernel (every .c and .s under
 * guest-os/kernel/, linked at 1 MiB without crt0) and the user programs (guest-os/user/<name>/,
 * each linked at USER_BASE with the user library guest-os/user/lib/ and the libc).
 *
 * Builds are cached on disk (out/cache/os/), keyed by a hash of every input: the sources, the
 * headers and the toolchain's own code, so a changed compiler never serves a stale image.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { readOrUndefined } from '../toolchain/cc/preprocess-env.js';
import { cachedBytes, commonHash, walk } from '../toolchain/build-cache.js';
import { build, GUEST_OPT_LEVEL, type SourceInput } from '../toolchain/cc/driver.js';
import type { Image } from '../toolchain/image/format.js';
import { readImage } from '../toolchain/image/read.js';
import { writeImage } from '../toolchain/image/write.js';
import { projectFile, projectRoot } from '../vmm/paths.js';

export const KERNEL_TEXT_BASE = 0x100000;
export const USER_TEXT_BASE = 0x40000000;

/** Every .c and .s under the given folders (recursively) or the given files, in a stable order. */
export function sourcesIn(...dirs: string[]): SourceInput[] {
  const files = dirs.flatMap((d) => (existsSync(d) && statSync(d).isFile() ? [d] : walk(d, ['.c', '.s'])));
  return files.map((path) => ({ path: relative(projectRoot(), path), text: readFileSync(path, 'utf8') }));
}

/** The existing files named by `#include "..."` in a source, relative to it (one level). */
function quotedIncludes(i: SourceInput): string[] {
  const dir = join(projectRoot(), i.path, '..');
  const out: string[] = [];
  for (const m of i.text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const f = join(dir, m[1]!);
    if (existsSync(f)) out.push(f);
  }
  return out;
}

/**
 * A built image, from out/cache/os/ when every input is unchanged, else from `make()` (and then
 * stored). Also used by the firmware's build.
 */
export function cachedBuild(kind: string, inputs: readonly SourceInput[], options: { includeDirs: string[] }, make: () => Image): Image {
  const h = createHash('sha256').update(commonHash()).update(kind).update(JSON.stringify(options));
  for (const i of inputs) h.update(i.path).update('\0').update(i.text).update('\0');
  // Files a source includes by a relative path (e.g. cpubench's corpus programs) count too.
  for (const i of inputs) for (const f of quotedIncludes(i)) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  // Headers next to the sources and in the include path count too: a changed kernel.h must rebuild.
  const headers = new Set([...options.includeDirs, ...inputs.map((i) => join(projectRoot(), i.path, '..'))]);
  for (const d of headers) for (const f of walk(d, ['.h'])) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  const key = h.digest('hex').slice(0, 32);
  let image: Image | undefined;
  cachedBytes(projectFile('out', 'cache', 'os'), `${kind.replace(/[^A-Za-z0-9_-]/g, '_')}-${key}.img`, (b, file) => {
    try {
      image = readImage(b, file);
      return true;
    } catch {
      return false; // a damaged cache entry is rebuilt
    }
  }, () => {
    image = make();
    try {
      return writeImage(image, kind);
    } catch {
      return undefined;
    }
  });
  return image!;
}

const memo = new Map<string, Image>();

/**
 * Sources are named relative to the project (stable diagnostics and cache keys), so a quoted
 * #include beside one is a project-relative path too: read it from the project, not from the
 * current directory, so that the guest builds wherever vamos is run (`npm link`, a global install).
 */
function readFromProject(path: string): string | undefined {
  return readOrUndefined(isAbsolute(path) ? path : join(projectRoot(), path));
}

function includeDirs(...extra: string[]): string[] {
  return [...extra, projectFile('guest-os', 'include')];
}

export interface OsBuildOptions {
  /** Extra -D definitions (e.g. for tests). */
  defines?: readonly string[];
}

/** The kernel image: every source under guest-os/kernel/, entry `_start`. */
export function buildKernel(opts: OsBuildOptions = {}): Image {
  const key = `kernel:${JSON.stringify(opts)}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const inputs = sourcesIn(projectFile('guest-os', 'kernel'));
  const options = {
    includeDirs: includeDirs(projectFile('guest-os', 'kernel', 'include')), defines: opts.defines ?? [],
    runtime: false, textBase: KERNEL_TEXT_BASE, entry: '_start', readFile: readFromProject, opt: GUEST_OPT_LEVEL,
  };
  const image = cachedBuild('kernel', inputs, options, () => build(inputs, options).image);
  memo.set(key, image);
  return image;
}

/** The names of the user programs: the folders of guest-os/user/ other than lib/ and include/. */
export function userProgramNames(): string[] {
  const dir = projectFile('guest-os', 'user');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n !== 'lib' && n !== 'include' && statSync(join(dir, n)).isDirectory()).sort();
}

/** One user program, linked at USER_BASE with the user library (its crt0 and syscalls). */
export function buildUserProgram(name: string, opts: OsBuildOptions = {}): Image {
  const key = `user:${name}:${JSON.stringify(opts)}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const dir = projectFile('guest-os', 'user', name);
  if (!existsSync(dir)) throw new Error(`no user program '${name}' (guest-os/user/${name}/)`);
  const inputs = [...sourcesIn(projectFile('guest-os', 'user', 'lib')), ...sourcesIn(dir)];
  const options = {
    includeDirs: includeDirs(projectFile('guest-os', 'user', 'include')), defines: opts.defines ?? [],
    runtime: false, textBase: USER_TEXT_BASE, entry: '_start', readFile: readFromProject, opt: GUEST_OPT_LEVEL,
  };
  const image = cachedBuild(`user-${name}`, inputs, options, () => build(inputs, options).image);
  memo.set(key, image);
  return image;
}

export interface ImageBuild {
  /** Names the cache entry and the memo (e.g. 'dbserver-vamos'). */
  kind: string;
  inputs: SourceInput[];
  includeDirs: string[];
  defines?: readonly string[];
  textBase: number;
  /** Link crt0 (hosted programs); default false. */
  runtime?: boolean;
}

/** Any other image of the guest world (servers, modules), built and cached like the kernel. */
export function buildCachedImage(b: ImageBuild): Image {
  const options = {
    includeDirs: [...b.includeDirs, projectFile('guest-os', 'include')], defines: b.defines ?? [],
    runtime: b.runtime ?? false, textBase: b.textBase, entry: '_start', readFile: readFromProject, opt: GUEST_OPT_LEVEL,
  };
  const key = `${b.kind}:${JSON.stringify(options)}:${b.inputs.map((i) => i.path).join(',')}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const image = cachedBuild(b.kind, b.inputs, options, () => build(b.inputs, options).image);
  memo.set(key, image);
  return image;
}

/** A user program from any sources, linked like guest-os/user/<name>/ programs. */
export function buildUserImage(kind: string, sources: string[], includeDirsExtra: string[], defines: readonly string[] = []): Image {
  return buildCachedImage({
    kind, inputs: [...sourcesIn(projectFile('guest-os', 'user', 'lib')), ...sourcesIn(...sources)],
    includeDirs: [...includeDirsExtra, projectFile('guest-os', 'user', 'include')], defines, textBase: USER_TEXT_BASE,
  });
}
