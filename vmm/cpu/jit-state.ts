/**
 * Layout of the vCPU state that lives in the guest's WebAssembly.Memory, just above RAM, so that
 * compiled regions (docs/jit.md) reach it with plain loads and stores at constant offsets. The
 * interpreter uses the same storage through typed-array views (the register file and the TLBs),
 * so neither tier copies registers or TLBs when control passes between them.
 *
 * Offsets are relative to the start of the state area (= ramSize).
 */

/** Eight general registers, i32 each. */
export const S_REGS = 0;
/** Lazy-flag state (flags.ts): fop, fa, fb, fres, fcf, fof, fbits, i32 each. */
export const S_FLAGS = 32;
export const FLAG_FIELDS = ['fop', 'fa', 'fb', 'fres', 'fcf', 'fof', 'fbits'] as const;
/** Where a region left off: the next eip, and 1 when the interpreter must run that instruction. */
export const S_EIP = 64;
export const S_SLOW = 68;
/**
 * Region chaining (docs/jit.md, "Chaining"): the current run's generation (a region may be
 * entered from another only once the dispatcher has checked it in this run), the code page of
 * the last region that retired an instruction (virtual page, physical base: the interpreter's
 * cached code page after a chain), and the number of chained entries (statistics).
 */
export const S_GEN = 72;
export const S_PAGE_VA = 76;
export const S_PAGE_PA = 80;
export const S_CHAINS = 84;
/**
 * IF and DF (the vCPU's eflagsHigh), which compiled `pushf` reads: the dispatcher writes it with
 * the lazy flags before the first region it enters. No compiled instruction changes it.
 */
export const S_EFLAGS_HIGH = 88;
/** The two TLBs (mmu.ts), each three Int32Array(256): read tags, write tags, frames. */
export const S_TLB_KERNEL = 1024;
export const S_TLB_USER = S_TLB_KERNEL + 3 * 1024;
export const TLB_READ = 0, TLB_WRITE = 1024, TLB_FRAME = 2048;
/**
 * The entry cache: ENTRY_CACHE_SIZE records of four i32, direct-mapped by virtual address
 * (entryRecord): key (va | mode; -1 when empty), physical page base, table slot of the region,
 * block index. The dispatcher fills it; a region leaving to an address found here (with the
 * same physical page, by the rules of instruction fetch) tail-calls the next region without
 * returning to JS.
 */
export const S_ENTRY_CACHE = 8192;
export const ENTRY_CACHE_BITS = 14;
export const ENTRY_CACHE_SIZE = 1 << ENTRY_CACHE_BITS;
/**
 * The record of va (jit-chain.ts computes the same in Wasm). 16,384 records, so that entries
 * collide only 64 KiB apart: with 4,096 (16 KiB) a quarter of the dispatcher's entries in the
 * paper's sweep were chains lost to a collision (1.40 million entries fell to 1.01 million in
 * a set of steady-state runs; 65,536 records did no better, nor did folding in higher bits).
 */
export function entryRecord(va: number): number {
  return (va >>> 2) & (ENTRY_CACHE_SIZE - 1);
}
/** Per table slot: the generation in which its region was last checked (-1: free). */
export const S_SLOT_GEN = S_ENTRY_CACHE + 16 * ENTRY_CACHE_SIZE;
export const MAX_SLOTS = 8192;
/**
 * The code-line map: one byte per CODE_LINE bytes of RAM, non-zero when compiled code was made
 * from that line. Every store path checks it (cheaply: one byte load) and invalidates.
 */
export const S_CODEMAP = S_SLOT_GEN + 4 * MAX_SLOTS;
export const CODE_LINE_SHIFT = 7;

export function STATE_BYTES(ramSize: number): number {
  return S_CODEMAP + (ramSize >>> CODE_LINE_SHIFT) + 64;
}
