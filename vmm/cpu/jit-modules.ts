/**
 * Compiled region modules shared by every vCPU of the process, keyed by their bytes. A region's
 * bytes depend only on the guest code, the mode, its virtual addresses and the RAM size (the
 * physical page is an imported global), so the next VM booting the same guest (a benchmark sweep, the paper's experiment, the test suite) instantiates
 * the module it needs instead of compiling it again, and keeps the code V8's optimizing tier made
 * for it. Only V8's work is shared: each vCPU instantiates with its own memory and table, and what
 * a region does is fixed by its bytes, so sharing cannot change any guest-visible result.
 */

/** Bound on the Wasm bytes of the modules kept (least recently used dropped first). */
export const MODULE_CACHE_LIMIT_BYTES = 16 << 20;

const modules = new Map<string, { module: WebAssembly.Module; bytes: number }>();
let heldBytes = 0;
export const moduleCacheStats = { hits: 0, misses: 0 };

/** The compiled module for `bytes`, from the cache or compiled now (throws what V8 throws). */
export function moduleFor(bytes: Uint8Array): WebAssembly.Module {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const hit = modules.get(key);
  if (hit !== undefined) {
    moduleCacheStats.hits++;
    modules.delete(key); // re-inserted: Map order is the recency order
    modules.set(key, hit);
    return hit.module;
  }
  moduleCacheStats.misses++;
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  modules.set(key, { module, bytes: bytes.length });
  heldBytes += bytes.length;
  for (const [k, v] of modules) {
    if (heldBytes <= MODULE_CACHE_LIMIT_BYTES) break;
    modules.delete(k);
    heldBytes -= v.bytes;
  }
  return module;
}

/**
 * Regions already built in this process, so that the next VM of the same guest skips building
 * and encoding them too (in a one-profile paper sweep, about 2 of the 5.3 seconds spent
 * compiling regions). buildRegion's output is a function of the mode, the RAM size, the entry's
 * virtual address, the words of the code page it decodes (the physical page only says where
 * those words are) and, for a region that reaches the page's last 12 bytes, the frame the next
 * virtual page had in the TLB (page ends run on into it): a built region is reused when all of
 * these match, the page compared word for word, and only the physical word indices and code
 * lines are moved to the new page. Regions that read words outside their entry page are not
 * kept. The next page's frame differs between VMs whose kernels placed a program differently,
 * so it is left out of the key of regions that never look at it (ANY_NEXT_PAGE). Exactness never
 * rests on that key: a region with words on the next page is not kept, and a page-end
 * instruction checks the next page's frame at run time.
 */
export interface BuiltRegion<C> {
  /** The built region, its physical indices for page `pbase` (in words). */
  code: C;
  pbase: number;
  module: WebAssembly.Module;
  page: Int32Array;
}

const BUILT_LIMIT = 4096;
const built = new Map<string, BuiltRegion<unknown>[]>();
let builtCount = 0;
export const builtCacheStats = { hits: 0, misses: 0 };

const builtKey = (mode: number, va: number, ramSize: number, next: number): string => `${mode}:${va}:${ramSize}:${next}`;

/** The `next` of a region that does not depend on the next page's frame. */
export const ANY_NEXT_PAGE = -2;

/**
 * A region built earlier from a page that held the same words as ram32[pbase..pbase+1024), for
 * a next page at frame `next` (word index, or -1: none) or not looking at it.
 */
export function findBuilt<C>(ram32: Int32Array, pbase: number, mode: number, va: number, ramSize: number, next: number): BuiltRegion<C> | undefined {
  for (const key of [builtKey(mode, va, ramSize, ANY_NEXT_PAGE), builtKey(mode, va, ramSize, next)]) {
    const list = built.get(key);
    if (list === undefined) continue;
    for (const b of list) {
      const p = b.page;
      let k = 0;
      while (k < 1024 && ram32[pbase + k] === p[k]) k++;
      if (k === 1024) { builtCacheStats.hits++; return b as BuiltRegion<C>; }
    }
  }
  builtCacheStats.misses++;
  return undefined;
}

/**
 * Keeps a region built from the page at ram32[pbase] (oldest dropped beyond BUILT_LIMIT); `next`
 * is ANY_NEXT_PAGE for a region that does not depend on the next page.
 */
export function keepBuilt<C>(ram32: Int32Array, pbase: number, mode: number, va: number, ramSize: number, next: number, code: C, module: WebAssembly.Module): void {
  const key = builtKey(mode, va, ramSize, next);
  const list = built.get(key) ?? [];
  list.push({ code, pbase, module, page: ram32.slice(pbase, pbase + 1024) });
  built.delete(key);
  built.set(key, list);
  builtCount++;
  for (const [k, v] of built) {
    if (builtCount <= BUILT_LIMIT) break;
    built.delete(k);
    builtCount -= v.length;
  }
}

/**
 * How many VMs of the process found an entry warm (past Jit.reuseThreshold) with no built
 * region for it: code that runs a few hundred times in every VM never reaches the full
 * threshold in any of them, so after WARM_VMS such VMs it is built once and reused after.
 */
const warm = new Map<string, number>();
const WARM_LIMIT = 1 << 16;

/** Counts one more VM that found (mode, va) warm; returns the count. */
export function noteWarm(mode: number, va: number, ramSize: number): number {
  const key = `${mode}:${va}:${ramSize}`;
  const n = (warm.get(key) ?? 0) + 1;
  if (warm.size >= WARM_LIMIT) warm.clear();
  warm.set(key, n);
  return n;
}
