/**
 * The code cache of the region compiler: hotness counters, compilation, lookup by physical
 * entry address and mode, invalidation, and a bounded size with least-recently-used eviction.
 *
 * Invalidation has two halves (docs/jit.md):
 * - stores by the vCPU itself (interpreter and regions) check the code-line map in the state
 *   area and call `invalidateAt` before they change a line that compiled code was made from,
 *   so self-modifying code sees its new instructions at once;
 * - every other writer of guest memory (device DMA, image loading, hypervisor writes) reports
 *   the bytes it changed with `GuestMemory.written`, which checks the same map. Until this
 *   session regions were instead compared word by word with memory at their first entry in
 *   each run; on the database's exit-heavy runs that cost more than the compiled code saved.
 *   The comparison remains as an audit (`VAMOS_JIT_AUDIT=1`, on in the test suite): it throws
 *   on compiled code that changed with no report, so a writer that forgot to report fails the
 *   tests instead of running stale code.
 */
import { HOT_MASK, HOT_THRESHOLD } from './codegen.js';
import { CODE_LINE_SHIFT, ENTRY_CACHE_SIZE, MAX_SLOTS, S_CHAINS, S_ENTRY_CACHE, S_GEN, S_SLOT_GEN, entryRecord } from './jit-state.js';
import { buildRegion, nextPageFrame, type RegionCode } from './jit-region.js';
import { ANY_NEXT_PAGE, findBuilt, keepBuilt, moduleFor, noteWarm } from './jit-modules.js';
import type { Mode } from './jit-emit.js';
import { entryModuleBytes } from './jit-chain.js';

export type CpuMode = 'interp' | 'jit';

let defaultMode: CpuMode = 'jit';
/** The mode of vCPUs created without an explicit one (the CLI's --cpu sets it). */
export function setDefaultCpuMode(m: CpuMode): void { defaultMode = m; }
export function defaultCpuMode(): CpuMode { return defaultMode; }

let defaultThreshold = HOT_THRESHOLD;
/**
 * The hotness threshold of vCPUs created afterwards (tests of the compiler lower it so that short
 * loops compile). When code compiles never changes a result, only the speed.
 */
export function setDefaultHotThreshold(n: number): void { defaultThreshold = n; }

/**
 * Audit mode (docs/jit.md, "Invalidation"): every region is compared with memory at its first
 * entry in each run() and an unreported change throws. Off by default (it costs a pass over the
 * region's words per run); the test suite turns it on through the environment.
 */
let defaultAudit = typeof process !== 'undefined' && process.env?.VAMOS_JIT_AUDIT === '1';
export function setDefaultJitAudit(on: boolean): void { defaultAudit = on; }

/** Compiled code changed under the compiler with no report: a RAM writer skipped GuestMemory.written. */
export class JitAuditError extends Error {}

/** run(budget, block, retired before) → retired after (docs/jit.md). */
export type RegionFn = (budget: number, block: number, n: number) => number;
/** enter(budget, block, retired before, table slot): the region in that slot, called from JavaScript. */
export type EnterFn = (budget: number, block: number, n: number, slot: number) => number;

/** A region's code, built now or reused with its module (Jit.build). */
type BuiltCode = RegionCode & { module?: WebAssembly.Module };

export class Region {
  lastUse = 0;
  /** The run (Jit.gen) in which the region's words were last compared with memory (audit mode). */
  checked: number;
  /** The entries registered for this region (one per block start). */
  readonly entries: Entry[] = [];
  /** Entry-cache records written for this region's entries (cleared when it is dropped). */
  readonly cached = new Set<number>();
  constructor(
    readonly mode: number, readonly fn: RegionFn | null, readonly slot: number, readonly bytes: number,
    readonly wordIdx: Int32Array, readonly wordVal: Int32Array, readonly lines: readonly number[],
    gen: number,
  ) { this.checked = gen; }
}

/** Where a region can be entered: a block start, by physical and virtual address. */
export class Entry {
  /** Another entry at the same physical address (other virtual address). */
  next: Entry | null = null;
  constructor(readonly region: Region, readonly pa: number, readonly va: number, readonly block: number) {}
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
  /** Modules V8 refused (a compiler bug; the code stays interpreted). */
  compileErrors: number;
  /** Regions entered from another region directly (without the dispatcher). */
  chains: number;
}

/** Modes: 0 paging off, 1 paging on at ring 0, 2 paging on at ring 3. */
export const MODES = 3;
/** Drop the least recently used half when the live regions' Wasm exceeds this. */
export const CACHE_LIMIT_BYTES = 16 << 20;
/** The hotness threshold for code whose region an earlier VM built (Jit.reuseThreshold). */
export const REUSE_THRESHOLD = 100;
/** Warm code with no built region compiles in the VM that is the WARM_VMS-th of the process to find it warm. */
export const WARM_VMS = 3;
/** An entry invalidated this often is left to the interpreter (code that keeps rewriting itself). */
const MAX_INVALIDATIONS = 8;

export class Jit {
  /** Hotness counters, indexed by a hash of the branch target (read by the interpreter). */
  readonly hot = new Int32Array(HOT_MASK + 1);
  private readonly maps: Map<number, Entry>[] = [];
  private readonly byLine = new Map<number, Region[]>();
  private readonly invalidations = new Map<number, number>();
  /**
   * The audit's run generation: incremented by every run() in audit mode, so that regions are
   * compared with memory once per run (and chained to only after that); constant otherwise.
   */
  gen = 0;
  readonly audit = defaultAudit;
  private clock = 0;
  readonly stats: JitStats = { regions: 0, codeBytes: 0, cacheBytes: 0, compiled: 0, compiledInsns: 0, invalidated: 0, evicted: 0, uncompilable: 0, entries: 0, regionInsns: 0, slowExits: 0, compileErrors: 0, chains: 0 };
  /** Optional host timer (benchmarks only: nothing in the simulation reads the wall clock). */
  timer: (() => number) | undefined;
  /** Branch executions before a target compiles. */
  threshold = defaultThreshold;
  /**
   * Branch executions before a target compiles when an earlier VM of the process already built
   * its region (jit-modules.ts): then compiling is one instantiation, about as cheap as
   * interpreting the code a hundred times. The interpreter stops at this count (through the
   * vCPU); lookup() then either reuses the built region or lets the count go on to `threshold`.
   */
  get reuseThreshold(): number { return Math.min(this.threshold, REUSE_THRESHOLD); }
  /** Hash slots (as `hot`) looked up in the built-region cache without a hit since they were last hot. */
  private readonly probed = new Uint8Array(HOT_MASK + 1);
  /** The cache's bound (tests lower it to exercise eviction). */
  limitBytes = CACHE_LIMIT_BYTES;
  compileMs = 0;

  /**
   * The functions of the live regions, one slot each: the entry module (jit-chain.ts) calls and
   * chains through it. Grown as regions are compiled (doubling, up to MAX_SLOTS) rather than
   * made full-size at once: V8 copies an imported table's entries into the instance that imports
   * it (690 µs at 8,192 slots, 25 µs at 256, measured on this machine), which is now only the
   * entry module, once per vCPU.
   */
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 64, maximum: MAX_SLOTS });
  /** Slots of dropped regions, reused first; slots from nextSlot up were never used. */
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  /** Runs the region in a slot (jit-chain.ts). */
  readonly enter: EnterFn;
  /** The chaining function regions of each mode import (jit-chain.ts `out`). */
  private readonly outs: WebAssembly.ExportValue[];
  /** The state area as i32 words (entry cache, slot generations, run generation). */
  private readonly st: Int32Array;

  /**
   * @param refill the vCPU's TLB refill (Mmu.refill), imported by every region: compiled loads
   *   and stores call it on a TLB miss.
   */
  constructor(private readonly ram32: Int32Array, private readonly codeMap: Uint8Array,
    private readonly ramSize: number, private readonly wasmMemory: WebAssembly.Memory,
    private readonly refill: (va: number, write: number) => number) {
    for (let m = 0; m < MODES; m++) this.maps.push(new Map());
    this.st = new Int32Array(wasmMemory.buffer, ramSize, (S_SLOT_GEN >> 2) + MAX_SLOTS);
    for (let k = 0; k < ENTRY_CACHE_SIZE; k++) this.st[(S_ENTRY_CACHE >> 2) + 4 * k] = -1;
    this.st.fill(-1, S_SLOT_GEN >> 2, (S_SLOT_GEN >> 2) + MAX_SLOTS);
    this.st[S_GEN >> 2] = 0;
    this.st[S_CHAINS >> 2] = 0;
    const entry = new WebAssembly.Instance(moduleFor(entryModuleBytes(ramSize)), { e: { m: wasmMemory, t: this.table, p: 0, r: refill } });
    this.enter = entry.exports.enter as EnterFn;
    this.outs = [entry.exports.o0, entry.exports.o1, entry.exports.o2];
  }

  /**
   * Code at va stays interpreted (it could not be compiled, or it is in ROM): the interpreter
   * stops counting it, so it no longer stops there for the dispatcher. Code sharing its hash
   * stays interpreted too, which costs speed only.
   */
  notCompiled(va: number): void {
    this.hot[(va >>> 2) & HOT_MASK] = -0x40000000;
  }

  /** A new run(): in audit mode, regions must be checked again before another region may chain to them. */
  newRun(): void {
    if (!this.audit) return;
    this.gen++;
    this.st[S_GEN >> 2] = this.gen | 0;
  }

  /**
   * Entries of compiled regions per hash of their virtual address (as `hot`): when both are
   * low there is nothing to find, and an exit-heavy guest pays no map lookup per run.
   */
  private readonly entryCount = new Int32Array(HOT_MASK + 1);

  /** Where find() found eip's region: its table slot and the block to start at. */
  readonly found = { slot: 0, block: 0 };

  /**
   * Finds the region for (mode, pa, va) as lookup() does (compiling when hot), first in the entry
   * cache: a record for this address, mode and physical page whose slot is live and checked in
   * this run names the entry lookup() would return, since compiling, dropping and the audit keep
   * records and entries in step (the chaining helper `out` relies on the same). False: interpret.
   */
  find(mode: number, pa: number, va: number): boolean {
    const st = this.st, w = (S_ENTRY_CACHE >> 2) + 4 * entryRecord(va);
    if (st[w] === (va | mode) && st[w + 1] === (pa & ~4095) && st[(S_SLOT_GEN >> 2) + st[w + 2]] === st[S_GEN >> 2]) {
      this.found.slot = st[w + 2];
      this.found.block = st[w + 3];
      return true;
    }
    const e = this.lookup(mode, pa, va);
    if (e === null) return false;
    this.found.slot = e.region.slot;
    this.found.block = e.block;
    return true;
  }

  /** The entry for (mode, pa, va), compiling a region when the address is hot; null: interpret. */
  lookup(mode: number, pa: number, va: number): Entry | null {
    const h = (va >>> 2) & HOT_MASK;
    if (this.entryCount[h] === 0 && this.hot[h] <= this.reuseThreshold) return null;
    let e = this.maps[mode].get(pa) ?? null;
    while (e !== null && e.va !== va) e = e.next;
    if (e === null) {
      const count = this.hot[h];
      if (count <= this.reuseThreshold) return null;
      const m: Mode = { paging: mode !== 0, cpl: mode === 2 ? 3 : 0, ramSize: this.ramSize };
      let reused: BuiltCode | null | undefined; // null: looked for in the built-region cache, not there
      if (count <= this.threshold && this.probed[h] === 0) {
        // Warm, not yet hot: compile now only if an earlier VM of the process built this region.
        reused = this.reusable(m, mode, va, pa) ?? null;
        if (reused === null && noteWarm(mode, va, this.ramSize) < WARM_VMS) {
          // Count on to the full threshold before looking again (then it compiles).
          this.probed[h] = 1;
          this.hot[h] = this.reuseThreshold - (this.threshold - count);
          return null;
        }
      }
      e = this.compile(m, mode, pa, va, reused);
    }
    const r = e.region;
    if (r.fn === null) return null;
    if (r.checked !== this.gen) {
      const changed = this.changedWord(r);
      if (changed >= 0) {
        throw new JitAuditError(`jit audit: compiled code at physical 0x${(changed * 4).toString(16)} changed with no report `
          + '(a writer of guest RAM outside the vCPU must call GuestMemory.written)');
      }
      r.checked = this.gen;
      this.st[(S_SLOT_GEN >> 2) + r.slot] = this.gen | 0;
    }
    r.lastUse = ++this.clock;
    this.remember(e, mode, pa);
    return e;
  }

  /** Writes the entry-cache record for e, so that regions leaving to its address chain to it. */
  private remember(e: Entry, mode: number, pa: number): void {
    const k = entryRecord(e.va), st = this.st, w = (S_ENTRY_CACHE >> 2) + 4 * k;
    const key = e.va | mode, slot = e.region.slot;
    if (st[w] === key && st[w + 2] === slot && st[w + 3] === e.block) return;
    st[w] = key; st[w + 1] = pa & ~4095; st[w + 2] = slot; st[w + 3] = e.block;
    e.region.cached.add(k);
  }

  /** The word index of the first of r's instruction words that memory no longer holds, or -1. */
  private changedWord(r: Region): number {
    const ram = this.ram32, idx = r.wordIdx, val = r.wordVal;
    for (let k = 0; k < idx.length; k++) if (ram[idx[k]] !== val[k]) return idx[k];
    return -1;
  }

  private addEntry(r: Region, pa: number, va: number, block: number): Entry {
    const e = new Entry(r, pa, va, block);
    const map = this.maps[r.mode];
    e.next = map.get(pa) ?? null;
    map.set(pa, e);
    r.entries.push(e);
    if (r.fn !== null) this.entryCount[(va >>> 2) & HOT_MASK]++;
    return e;
  }

  /** `reused`: the built region lookup() found, or null when it looked and found none. */
  private compile(m: Mode, mode: number, pa: number, va: number, reused?: BuiltCode | null): Entry {
    const t0 = this.timer?.();
    const key = pa * MODES + mode;
    const tooOften = (this.invalidations.get(key) ?? 0) >= MAX_INVALIDATIONS;
    const code = tooOften ? null : reused ?? this.build(m, mode, va, pa, reused === undefined);
    let inst: WebAssembly.Instance | null = null;
    if (code !== null) {
      this.reserveSlot();
      try {
        const module = code.module ?? moduleFor(code.bytes);
        inst = new WebAssembly.Instance(module, { e: { m: this.wasmMemory, p: pa & ~4095, r: this.refill, o: this.outs[mode] } });
      } catch {
        // A module V8 refuses is a compiler bug: the code stays interpreted (exact, slower),
        // and the count shows up in the stats (the lockstep tests require it to be zero).
        this.stats.compileErrors++;
      }
    }
    let entry: Entry;
    if (code === null || inst === null) {
      // Remember that this entry stays interpreted, and stop the interpreter stopping there.
      const r = new Region(mode, null, -1, 0, new Int32Array(0), new Int32Array(0), [], this.gen);
      entry = this.addEntry(r, pa, va, 0);
      this.notCompiled(va);
      this.stats.uncompilable++;
    } else {
      const slot = this.freeSlots.pop()!;
      const run = inst.exports.run as RegionFn;
      this.table.set(slot, run);
      const r = new Region(mode, run, slot, code.bytes.length, code.wordIdx, code.wordVal, code.lines, this.gen);
      this.st[(S_SLOT_GEN >> 2) + slot] = this.gen | 0;
      r.lastUse = ++this.clock; // the newest: never the one evicted below
      entry = this.addEntry(r, pa, va, 0);
      // Every other block start becomes an entry too, unless some region already has it.
      const page = pa - (va & 4095);
      code.starts.forEach((start, k) => {
        if (k === 0 || ((start ^ va) & ~4095) !== 0) return; // blocks on the next page (paging off) are not entries
        const bpa = page + (start & 4095);
        let x = this.maps[mode].get(bpa) ?? null;
        while (x !== null && x.va !== start) x = x.next;
        if (x === null) this.addEntry(r, bpa, start, k);
      });
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
    if (t0 !== undefined) this.compileMs += this.timer!() - t0;
    if (this.stats.codeBytes > this.limitBytes) this.evict();
    return entry;
  }

  /**
   * buildRegion's region for (mode, va) at pa, or (when `lookFirst`: the caller has not looked)
   * the same region built earlier in this process from a page holding the same words
   * (jit-modules.ts), moved to this page, with its module.
   */
  private build(m: Mode, mode: number, va: number, pa: number, lookFirst: boolean): BuiltCode | null {
    const hit = lookFirst ? this.reusable(m, mode, va, pa) : undefined;
    if (hit !== undefined) return hit;
    const pbase = (pa & ~4095) >>> 2;
    const next = nextPageFrame(this.ram32, m, va, pbase);
    const code = buildRegion(this.ram32, m, va, pa, next);
    if (code === null) return null;
    let module: WebAssembly.Module;
    try { module = moduleFor(code.bytes); } catch { return code; } // compile() counts the error
    if (code.wordIdx.every((w) => w >= pbase && w < pbase + 1024)) {
      keepBuilt(this.ram32, pbase, mode, va, this.ramSize, code.usesNextPage ? next : ANY_NEXT_PAGE, code, module);
    }
    return { ...code, module };
  }

  /** The region for (mode, va) at pa built earlier in this process (jit-modules.ts), moved to this page. */
  private reusable(m: Mode, mode: number, va: number, pa: number): BuiltCode | undefined {
    const pbase = (pa & ~4095) >>> 2;
    // Page ends are compiled for the frame the TLB gives the next page now: part of the key.
    const next = nextPageFrame(this.ram32, m, va, pbase);
    const hit = findBuilt<RegionCode>(this.ram32, pbase, mode, va, this.ramSize, next);
    if (hit === undefined) return undefined;
    const words = pbase - hit.pbase, lines = words / ((1 << CODE_LINE_SHIFT) / 4); // whole pages: exact
    const c = hit.code;
    return { ...c, wordIdx: c.wordIdx.map((w) => w + words), lines: c.lines.map((l) => l + lines), module: hit.module };
  }

  /** A store is about to change RAM at pa, in a line compiled code was made from. */
  invalidateAt(pa: number): void {
    const list = this.byLine.get(pa >>> CODE_LINE_SHIFT);
    if (!list) { this.codeMap[pa >>> CODE_LINE_SHIFT] = 0; return; }
    for (const r of [...list]) this.drop(r, true);
  }

  private drop(r: Region, invalidated: boolean): void {
    const map = this.maps[r.mode];
    for (const e of r.entries) {
      let head = map.get(e.pa) ?? null;
      if (head === e) {
        if (e.next) map.set(e.pa, e.next); else map.delete(e.pa);
      } else {
        while (head && head.next !== e) head = head.next;
        if (head) head.next = e.next;
      }
      if (r.fn !== null) this.entryCount[(e.va >>> 2) & HOT_MASK]--;
    }
    const key = r.entries.length > 0 ? r.entries[0].pa * MODES + r.mode : -1;
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
      // No region may chain to it any more: clear its entry-cache records and free its slot.
      const st = this.st;
      for (const k of r.cached) {
        const w = (S_ENTRY_CACHE >> 2) + 4 * k;
        if (st[w + 2] === r.slot) st[w] = -1;
      }
      st[(S_SLOT_GEN >> 2) + r.slot] = -1;
      this.table.set(r.slot, null);
      this.freeSlots.push(r.slot);
    }
    if (invalidated) {
      this.invalidations.set(key, (this.invalidations.get(key) ?? 0) + 1);
      this.stats.invalidated++;
    } else {
      this.stats.evicted++;
    }
  }

  /** Makes sure freeSlots has a slot: a new one (growing the table when needed), else by eviction. */
  private reserveSlot(): void {
    if (this.freeSlots.length > 0) return;
    if (this.nextSlot === MAX_SLOTS) { this.evict(); return; }
    if (this.nextSlot === this.table.length) this.table.grow(Math.min(this.table.length, MAX_SLOTS - this.table.length));
    this.freeSlots.push(this.nextSlot++);
  }

  /** Drops the least recently used half of the compiled regions (at least one; never the newest). */
  private evict(): void {
    const all = new Set<Region>();
    for (const map of this.maps) {
      for (const e of map.values()) for (let x: Entry | null = e; x; x = x.next) if (x.region.fn) all.add(x.region);
    }
    const byAge = [...all].sort((a, b) => a.lastUse - b.lastUse);
    byAge.pop(); // the region just compiled stays
    for (const r of byAge.slice(0, Math.max(1, byAge.length >> 1))) this.drop(r, false);
  }

  /** Cache figures; cacheBytes estimates V8's code and metadata at 4x the Wasm size. */
  report(): JitStats {
    return { ...this.stats, cacheBytes: this.stats.codeBytes * 4, chains: this.st[S_CHAINS >> 2] >>> 0 };
  }
}
