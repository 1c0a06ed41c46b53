/**
 * Arithmetic flags, computed lazily: an ALU instruction records its operands and result, and
 * CF/ZF/SF/OF/PF are derived only when something reads them (a jcc, setcc, pushf, an
 * interrupt). Most results are never inspected, so the interpreter's ALU ops cost a few stores.
 */

/** eflags bit positions (x86). */
export const EFLAGS = {
  CF: 1 << 0,
  RESERVED1: 1 << 1, // always reads as 1, as on x86
  PF: 1 << 2,
  ZF: 1 << 6,
  SF: 1 << 7,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
} as const;

const ARITH_MASK = EFLAGS.CF | EFLAGS.PF | EFLAGS.ZF | EFLAGS.SF | EFLAGS.OF;
/** Bits a popf/iret may change (the rest are reserved and read as zero). */
export const WRITABLE_EFLAGS = ARITH_MASK | EFLAGS.IF | EFLAGS.DF;

// What the last flag-setting instruction was. NONE: flags are materialised in `fbits`.
const NONE = 0, ADD = 1, SUB = 2, LOGIC = 3, ADC = 4, SBB = 5, INC = 6, DEC = 7, EXPLICIT = 8;
/** The same kinds for the region compiler, which keeps lazy flags in Wasm locals. */
export const FOP = { NONE, ADD, SUB, LOGIC, ADC, SBB, INC, DEC, EXPLICIT } as const;

/** PARITY[b] is 1 when byte b has an even number of set bits (x86 PF). */
const PARITY = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let bits = 0;
  for (let k = 0; k < 8; k++) bits += (b >> k) & 1;
  PARITY[b] = bits % 2 === 0 ? 1 : 0;
}

const TWO32 = 4294967296;

export class LazyFlags {
  /** The kind of the last flag-setting operation (see the constants above). */
  protected fop = NONE;
  protected fres = 0;
  protected fa = 0;
  protected fb = 0;
  /** Carry-in for adc/sbb; the kept CF for inc/dec; CF for EXPLICIT. */
  protected fcf = 0;
  /** OF for EXPLICIT. */
  protected fof = 0;
  /** Materialised arithmetic flags when fop is NONE. */
  protected fbits = 0;
  /** The non-arithmetic part of eflags (IF, DF). */
  protected eflagsHigh = 0;

  add(a: number, b: number): number {
    const r = (a + b) | 0;
    this.fop = ADD; this.fa = a; this.fb = b; this.fres = r;
    return r;
  }

  sub(a: number, b: number): number {
    const r = (a - b) | 0;
    this.fop = SUB; this.fa = a; this.fb = b; this.fres = r;
    return r;
  }

  logic(r: number): number {
    this.fop = LOGIC; this.fres = r;
    return r;
  }

  adc(a: number, b: number): number {
    const cin = this.cf();
    const r = (a + b + cin) | 0;
    this.fop = ADC; this.fa = a; this.fb = b; this.fcf = cin; this.fres = r;
    return r;
  }

  sbb(a: number, b: number): number {
    const cin = this.cf();
    const r = (a - b - cin) | 0;
    this.fop = SBB; this.fa = a; this.fb = b; this.fcf = cin; this.fres = r;
    return r;
  }

  // inc/dec keep CF. After inc, dec or a shift, fcf already holds it: skip recomputing it.
  inc(a: number): number {
    if (this.fop < INC) this.fcf = this.cf();
    const r = (a + 1) | 0;
    this.fop = INC; this.fres = r;
    return r;
  }

  dec(a: number): number {
    if (this.fop < INC) this.fcf = this.cf();
    const r = (a - 1) | 0;
    this.fop = DEC; this.fres = r;
    return r;
  }

  private explicit(r: number, cf: number, of: number): number {
    this.fop = EXPLICIT; this.fres = r; this.fcf = cf; this.fof = of;
    return r;
  }

  shl(a: number, n: number): number {
    if (n === 0) return a;
    const r = a << n;
    const cf = (a >>> (32 - n)) & 1;
    return this.explicit(r, cf, (r >>> 31) ^ cf);
  }

  shr(a: number, n: number): number {
    if (n === 0) return a;
    return this.explicit((a >>> n) | 0, (a >>> (n - 1)) & 1, a >>> 31);
  }

  sar(a: number, n: number): number {
    if (n === 0) return a;
    return this.explicit(a >> n, (a >> (n - 1)) & 1, 0);
  }

  /**
   * Rotates change only CF and OF. ZF, SF and PF keep their values, and every lazy kind derives
   * those from fres alone, so switching to EXPLICIT with fres untouched keeps them for free.
   */
  private rotateFlags(cf: number, of: number): void {
    if (this.fop === NONE) {
      this.fbits = (this.fbits & ~(EFLAGS.CF | EFLAGS.OF)) | cf | (of << 11);
    } else {
      this.fop = EXPLICIT; this.fcf = cf; this.fof = of;
    }
  }

  rol(a: number, n: number): number {
    if (n === 0) return a;
    const r = (a << n) | (a >>> (32 - n));
    this.rotateFlags(r & 1, (r >>> 31) ^ (r & 1));
    return r;
  }

  ror(a: number, n: number): number {
    if (n === 0) return a;
    const r = (a >>> n) | (a << (32 - n));
    this.rotateFlags(r >>> 31, ((r >>> 31) ^ (r >>> 30)) & 1);
    return r;
  }

  imul2(a: number, b: number): number {
    const r = Math.imul(a, b);
    // The double product is exact whenever it fits in 32 bits, and otherwise differs from r.
    const overflow = a * b !== r ? 1 : 0;
    return this.explicit(r, overflow, overflow);
  }

  /** Unsigned 32×32→64; returns [lo, hi] as unsigned numbers. */
  protected static mulU64(a: number, b: number): [number, number] {
    const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
    const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const lo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
    const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 65536)) >>> 0;
    return [lo, hi];
  }

  /** Sets the flags of a widening multiply whose high half is `hi` and low half `lo`. */
  protected mulFlags(lo: number, overflow: boolean): void {
    const o = overflow ? 1 : 0;
    this.explicit(lo | 0, o, o);
  }

  cf(): number {
    switch (this.fop) {
      case ADD: return (this.fres >>> 0) < (this.fa >>> 0) ? 1 : 0;
      case SUB: return (this.fa >>> 0) < (this.fb >>> 0) ? 1 : 0;
      case LOGIC: return 0;
      case ADC: return (this.fa >>> 0) + (this.fb >>> 0) + this.fcf >= TWO32 ? 1 : 0;
      case SBB: return (this.fa >>> 0) < (this.fb >>> 0) + this.fcf ? 1 : 0;
      case NONE: return this.fbits & 1;
      default: return this.fcf; // INC, DEC, EXPLICIT
    }
  }

  of(): number {
    switch (this.fop) {
      case ADD: case ADC: return ((this.fa ^ this.fres) & (this.fb ^ this.fres)) >>> 31;
      case SUB: case SBB: return ((this.fa ^ this.fb) & (this.fa ^ this.fres)) >>> 31;
      case LOGIC: return 0;
      case INC: return this.fres === -0x80000000 ? 1 : 0;
      case DEC: return this.fres === 0x7fffffff ? 1 : 0;
      case EXPLICIT: return this.fof;
      default: return (this.fbits >>> 11) & 1;
    }
  }

  zf(): number {
    return this.fop === NONE ? (this.fbits >>> 6) & 1 : this.fres === 0 ? 1 : 0;
  }

  sf(): number {
    return this.fop === NONE ? (this.fbits >>> 7) & 1 : this.fres >>> 31;
  }

  pf(): number {
    return this.fop === NONE ? (this.fbits >>> 2) & 1 : PARITY[this.fres & 0xff];
  }

  /** CF ZF SF OF PF as eflags bits. */
  arithFlags(): number {
    if (this.fop === NONE) return this.fbits;
    return this.cf() | (this.pf() << 2) | (this.zf() << 6) | (this.sf() << 7) | (this.of() << 11);
  }

  protected setArithFlags(v: number): void {
    this.fbits = v & ARITH_MASK;
    this.fop = NONE;
  }

  // Conditions, in x86 order. The SUB fast paths cover cmp+jcc, the common case.
  c_o(): boolean { return this.of() === 1; }
  c_no(): boolean { return this.of() === 0; }
  c_b(): boolean { return this.fop === SUB ? (this.fa >>> 0) < (this.fb >>> 0) : this.cf() === 1; }
  c_ae(): boolean { return !this.c_b(); }
  c_e(): boolean { return this.fop === NONE ? (this.fbits & EFLAGS.ZF) !== 0 : this.fres === 0; }
  c_ne(): boolean { return !this.c_e(); }
  c_be(): boolean { return this.fop === SUB ? (this.fa >>> 0) <= (this.fb >>> 0) : (this.cf() | this.zf()) === 1; }
  c_a(): boolean { return !this.c_be(); }
  c_s(): boolean { return this.sf() === 1; }
  c_ns(): boolean { return this.sf() === 0; }
  c_p(): boolean { return this.pf() === 1; }
  c_np(): boolean { return this.pf() === 0; }
  c_l(): boolean { return this.fop === SUB ? this.fa < this.fb : this.sf() !== this.of(); }
  c_ge(): boolean { return !this.c_l(); }
  c_le(): boolean { return this.fop === SUB ? this.fa <= this.fb : this.zf() === 1 || this.sf() !== this.of(); }
  c_g(): boolean { return !this.c_le(); }
}
