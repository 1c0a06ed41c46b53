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
/** The two TLBs (mmu.ts), each three Int32Array(256): read tags, write tags, frames. */
export const S_TLB_KERNEL = 1024;
export const S_TLB_USER = S_TLB_KERNEL + 3 * 1024;
export const TLB_READ = 0, TLB_WRITE = 1024, TLB_FRAME = 2048;
/**
 * The code-line map: one byte per CODE_LINE bytes of RAM, non-zero when compiled code was made
 * from that line. Every store path checks it (cheaply: one byte load) and invalidates.
 */
export const S_CODEMAP = 8192;
export const CODE_LINE_SHIFT = 7;

export function STATE_BYTES(ramSize: number): number {
  return S_CODEMAP + (ramSize >>> CODE_LINE_SHIFT) + 64;
}
