/**
 * The libc's compiled objects, cached so that a build does not compile the libc again: in
 * memory for the process, and on disk (out/cache/libc/) through the build cache, keyed by a
 * hash of everything the objects depend on: the libc's sources and headers, the toolchain's
 * own code (build-cache.ts's `commonHash`) and the options. An edited source or header is a new key,
 * so a stale entry is never served; the objects are the compiler's output byte for byte.
 * (The linker then keeps each object pre-assembled in memory: toolchain/ld/fragment.ts.)
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedBytes, commonHash, walk } from '../build-cache.js';
import type { ObjectFile } from '../ld/object.js';

export interface LibcFiles {
  /** Sources (.c and .s), in name order, with the names the objects carry. */
  sources: { path: string; name: string; text: string }[];
  /** Every header under the include directory, in a stable order, with its text. */
  headers: { path: string; text: string }[];
}

export function readLibcFiles(srcDir: string, includeDir: string, nameOf: (path: string) => string): LibcFiles {
  const sources = readdirSync(srcDir).sort().filter((f) => f.endsWith('.c') || f.endsWith('.s')).map((f) => {
    const path = join(srcDir, f);
    return { path, name: nameOf(path), text: readFileSync(path, 'utf8') };
  });
  return { sources, headers: walk(includeDir, ['.h']).map((path) => ({ path, text: readFileSync(path, 'utf8') })) };
}

const memo = new Map<string, ObjectFile[]>();
const MEMO_ENTRIES = 8;

/** For tests: forget the in-memory copies, so the next call reads the disk cache. */
export function forgetLibcMemo(): void {
  memo.clear();
}

function isObjectList(v: unknown): v is ObjectFile[] {
  return Array.isArray(v) && v.every((o) => typeof o === 'object' && o !== null && typeof o.name === 'string'
    && typeof o.text === 'string' && typeof o.unit === 'string' && (o.source === undefined || typeof o.source === 'string'));
}

/** The objects of `files` (compiled by `compileAll` when neither cache has them). */
export function cachedLibc(files: LibcFiles, flags: string, cacheDir: string, compileAll: () => ObjectFile[]): ObjectFile[] {
  const h = createHash('sha256').update(commonHash()).update('\0libc objects 1\0').update(flags);
  for (const s of files.sources) h.update('\0').update(s.name).update('\0').update(s.text);
  for (const f of files.headers) h.update('\0').update(f.path).update('\0').update(f.text);
  const key = h.digest('hex').slice(0, 32);
  const hit = memo.get(key);
  if (hit) return hit;
  let objs: ObjectFile[] | undefined;
  cachedBytes(cacheDir, `libc-${key}.json`, (bytes) => {
    try {
      const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
      if (!isObjectList(v)) return false;
      objs = v;
      return true;
    } catch {
      return false; // damaged: compiled again
    }
  }, () => {
    objs = compileAll();
    return new Uint8Array(Buffer.from(JSON.stringify(objs)));
  });
  if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, objs!);
  return objs!;
}
