/**
 * The build cache on disk that the OS images (guest-os/os-build.ts) and the libc's compiled
 * objects (toolchain/cc/libc-cache.ts) share: entries named by a hash of every input, stored
 * atomically, pruned to the newest CACHE_KEEP per folder. Here, not in the OS build, because the
 * compiler's driver uses it too and the OS build uses the driver.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectFile } from '../vmm/paths.js';

/** The files under `dir` (recursively) whose names end in one of `exts`, in a stable order. */
export function walk(dir: string, exts: readonly string[], out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, exts, out);
    else if (exts.some((e) => name.endsWith(e))) out.push(path);
  }
  return out;
}

let toolchainHash: string | undefined;

/** What every cached build depends on besides its own sources: the guest headers, the libc and the toolchain. */
export function commonHash(): string {
  if (toolchainHash !== undefined) return toolchainHash;
  const h = createHash('sha256');
  const here = import.meta.url.endsWith('.ts') ? ['.ts'] : ['.js'];
  const files = [
    ...walk(projectFile('guest-os', 'include'), ['.h']),
    ...walk(projectFile('guest-os', 'libc'), ['.h', '.c', '.s']),
    ...walk(projectFile(import.meta.url.endsWith('.ts') ? 'toolchain' : join('dist', 'toolchain')), here),
  ];
  for (const f of files) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  return (toolchainHash = h.digest('hex'));
}

/**
 * The disk cache under `dir` (out/cache/os/ for images, out/cache/libc/ for the libc's objects):
 * the bytes stored as `name` when `accept` takes them, else `make()`'s, stored atomically (a
 * temporary file renamed; nothing when make gives undefined). `name` (a plain file name) carries
 * the key: a hash of every input, `commonHash()` included. Writing is best-effort: a read-only
 * checkout still builds.
 */
export function cachedBytes(
  dir: string, name: string, accept: (bytes: Uint8Array, file: string) => boolean, make: () => Uint8Array | undefined,
): Uint8Array | undefined {
  const file = join(dir, name);
  if (existsSync(file)) {
    try {
      const b = new Uint8Array(readFileSync(file));
      if (accept(b, file)) return b;
    } catch {
      // unreadable: rebuilt below
    }
  }
  const bytes = make();
  if (bytes === undefined) return undefined;
  try {
    mkdirSync(dir, { recursive: true });
    prune(dir);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch {
    // A read-only checkout still builds: the cache is an optimisation.
  }
  return bytes;
}

/** Keeps the cache from growing without bound: the newest CACHE_KEEP entries survive. */
const CACHE_KEEP = 60;
function prune(dir: string): void {
  const entries = readdirSync(dir).filter((n) => !n.endsWith('.tmp')).map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }));
  if (entries.length < CACHE_KEEP) return;
  entries.sort((a, b) => b.t - a.t);
  for (const e of entries.slice(CACHE_KEEP - 1)) {
    try { unlinkSync(join(dir, e.n)); } catch { /* another process pruned it first */ }
  }
}
