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
