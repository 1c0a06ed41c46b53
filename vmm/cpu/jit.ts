/**
 * The code cache of the region compiler: hotness counters, compilation, lookup by physical
 * entry address and mode, invalidation, and a bounded size with least-recently-used eviction.
 *
 * Invalidation has two halves (docs/jit.md):
 * - stores by the vCPU itself (interpreter and regions) check the code-line map in the state
 *   area and call `invalidateAt` before they change a line that compiled code was made from,
 *   so self-modifying code sees its new instructions at once;
 * - every other writer of guest memory (device DMA, image loading, hypervisor writes, tests)
 *   runs between two `run()` calls. The first entry of a region in each run compares the
 *   region's instruction words with memory and drops it when they differ. No writer has to
 *   remember to notify the JIT.
 */
import { HOT_MASK, HOT_THRESHOLD } from './codegen.js';
import { CODE_LINE_SHIFT } from './jit-state.js';
import { buildRegion } from './jit-region.js';
import type { Mode } from './jit-emit.js';

export type CpuMode = 'interp' | 'jit';

let defaultMode: CpuMode = 'jit';
/** The mode of vCPUs created without an explicit one (the CLI's --cpu sets it). */
export function setDefaultCpuMode(m: CpuMode): void { defaultMode = m; }
export function defaultCpuMode(): CpuMode { return defaultMode; }

export type RegionFn = (budget: number) => number;

export class Region {
  /** Another region at the same physical entry (other virtual address). */
  next: Region | null = null;
  lastUse = 0;
  /** The run (Jit.gen) in which the region's words were last compared with memory. */
  checked: number;
  constructor(
    readonly mode: number, readonly va: number, readonly pa: number,
    readonly fn: RegionFn | null, readonly bytes: number,
    readonly wordIdx: Int32Array, readonly wordVal: Int32Array, readonly lines: readonly number[],
    gen: number,
  ) { this.checked = gen; }
}

export interface JitStats {
  regions: number;
  /** Wasm bytes of the live regions, and an estimate of the memory they hold (see docs/jit.md). */
  codeBytes: number;
  cacheBytes: number;
  compiled: number;
  compiledInsns: number;
  invalidated: number;
  evicted: number;
  uncompilable: number;
  /** Region entries, instructions retired in regions, exits that handed an instruction to the interpreter. */
  entries: number;
  regionInsns: number;
  slowExits: number;
}

/** Modes: 0 paging off, 1 paging on at ring 0, 2 paging on at ring 3. */
export const MODES = 3;
/** Drop the least recently used half when the live regions' Wasm exceeds this. */
export const CACHE_LIMIT_BYTES = 16 << 20;
/** An entry invalidated this often is left to the interpreter (code that keeps rewriting itself). */
const MAX_INVALIDATIONS = 8;

export class Jit {
  /** Hotness counters, indexed by a hash of the branch target (read by the interpreter). */
  readonly hot = new Int32Array(HOT_MASK + 1);
  private readonly maps: Map<number, Region>[] = [];
  private readonly byLine = new Map<number, Region[]>();
  private readonly invalidations = new Map<number, number>();
  /** Incremented by every run(): regions are re-checked once per run (see above). */
  gen = 0;
  private clock = 0;
  readonly stats: JitStats = { regions: 0, codeBytes: 0, cacheBytes: 0, compiled: 0, compiledInsns: 0, invalidated: 0, evicted: 0, uncompilable: 0, entries: 0, regionInsns: 0, slowExits: 0 };
  /** Optional host timer (benchmarks only: nothing in the simulation reads the wall clock). */
  timer: (() => number) | undefined;
  compileMs = 0;

  constructor(private readonly ram32: Int32Array, private readonly codeMap: Uint8Array,
    private readonly ramSize: number, private readonly wasmMemory: WebAssembly.Memory) {
    for (let m = 0; m < MODES; m++) this.maps.push(new Map());
  }

  /** The region for (mode, pa, va), compiling it when the address is hot; null: interpret. */
  lookup(mode: number, pa: number, va: number): Region | null {
    let r = this.maps[mode].get(pa);
    while (r !== undefined && r !== null && r.va !== va) r = r.next ?? undefined;
    if (r === undefined || r === null) {
      if (this.hot[(va >>> 2) & HOT_MASK] <= HOT_THRESHOLD) return null;
      r = this.compile(mode, pa, va);
    } else if (r.checked !== this.gen) {
      if (!this.verify(r)) {
        this.drop(r, true);
        return null;
      }
      r.checked = this.gen;
    }
    if (r.fn === null) return null;
    r.lastUse = ++this.clock;
    return r;
  }

  private verify(r: Region): boolean {
    const ram = this.ram32, idx = r.wordIdx, val = r.wordVal;
    for (let k = 0; k < idx.length; k++) if (ram[idx[k]] !== val[k]) return false;
    return true;
  }

  private compile(mode: number, pa: number, va: number): Region {
    const t0 = this.timer?.();
    const m: Mode = { paging: mode !== 0, cpl: mode === 2 ? 3 : 0, ramSize: this.ramSize };
    const key = pa * MODES + mode;
    const tooOften = (this.invalidations.get(key) ?? 0) >= MAX_INVALIDATIONS;
    const code = tooOften ? null : buildRegion(this.ram32, m, va, pa);
    let r: Region;
    if (code === null) {
      // Remember that this entry stays interpreted, and stop the interpreter stopping there.
      r = new Region(mode, va, pa, null, 0, new Int32Array(0), new Int32Array(0), [], this.gen);
      this.hot[(va >>> 2) & HOT_MASK] = -0x40000000;
      this.stats.uncompilable++;
    } else {
      const mod = new WebAssembly.Module(code.bytes as Uint8Array<ArrayBuffer>);
      const inst = new WebAssembly.Instance(mod, { e: { m: this.wasmMemory } });
      r = new Region(mode, va, pa, inst.exports.run as RegionFn, code.bytes.length, code.wordIdx, code.wordVal, code.lines, this.gen);
      for (const line of code.lines) {
        const list = this.byLine.get(line);
        if (list) list.push(r); else this.byLine.set(line, [r]);
        this.codeMap[line] = 1;
      }
      this.stats.compiled++;
      this.stats.compiledInsns += code.insns;
      this.stats.codeBytes += r.bytes;
      this.stats.regions++;
    }
    const map = this.maps[mode];
    r.next = map.get(pa) ?? null;
    map.set(pa, r);
    if (t0 !== undefined) this.compileMs += this.timer!() - t0;
    if (this.stats.codeBytes > CACHE_LIMIT_BYTES) this.evict();
    return r;
  }

  /** A store is about to change RAM at pa, in a line compiled code was made from. */
  invalidateAt(pa: number): void {
    const list = this.byLine.get(pa >>> CODE_LINE_SHIFT);
    if (!list) { this.codeMap[pa >>> CODE_LINE_SHIFT] = 0; return; }
    for (const r of [...list]) this.drop(r, true);
  }

  private drop(r: Region, invalidated: boolean): void {
    const map = this.maps[r.mode];
    let head = map.get(r.pa) ?? null;
    if (head === r) {
      if (r.next) map.set(r.pa, r.next); else map.delete(r.pa);
    } else {
      while (head && head.next !== r) head = head.next;
      if (head) head.next = r.next;
    }
    for (const line of r.lines) {
      const list = this.byLine.get(line);
      if (!list) continue;
      const k = list.indexOf(r);
      if (k >= 0) list.splice(k, 1);
      if (list.length === 0) { this.byLine.delete(line); this.codeMap[line] = 0; }
    }
    if (r.fn !== null) {
      this.stats.regions--;
      this.stats.codeBytes -= r.bytes;
    }
    if (invalidated) {
      const key = r.pa * MODES + r.mode;
      this.invalidations.set(key, (this.invalidations.get(key) ?? 0) + 1);
      this.stats.invalidated++;
    } else {
      this.stats.evicted++;
    }
  }

  /** Drops the least recently used half of the compiled regions. */
  private evict(): void {
    const all: Region[] = [];
    for (const map of this.maps) {
      for (const r of map.values()) for (let x: Region | null = r; x; x = x.next) if (x.fn) all.push(x);
    }
    all.sort((a, b) => a.lastUse - b.lastUse);
    for (const r of all.slice(0, all.length >> 1)) this.drop(r, false);
  }

  /** Cache figures; cacheBytes estimates V8's code and metadata at 4x the Wasm size. */
  report(): JitStats {
    return { ...this.stats, cacheBytes: this.stats.codeBytes * 4 };
  }
}
