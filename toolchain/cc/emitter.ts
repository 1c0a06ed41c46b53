/**
 * Per-function code emission state: the temporary-register allocator, addresses, loads, stores
 * and conversions. Temporaries live in ecx, ebx, esi and edi; eax and edx are kept out of the
 * pool as scratch for mul/div, call results, helper calls and values restored after a spill, so
 * an operation never has to evict a temporary from a fixed register.
 */
import { fail, type Loc } from './errors.js';
import { alignUp, sizeOf, type Type } from './types.js';

export type Reg = 'eax' | 'ecx' | 'edx' | 'ebx' | 'esi' | 'edi';
export const POOL: readonly Reg[] = ['ecx', 'ebx', 'esi', 'edi'];

/** A value: one register, or lo/hi for 64-bit; for a struct, its address. */
export interface Val { lo: Reg; hi?: Reg }

/** A memory address: [base + sym + off]. */
export interface Addr { base?: Reg | 'ebp' | 'esp'; index?: Reg; scale?: number; sym?: string; off: number }

export class InternalError extends Error {}

export class Emitter {
  readonly out: string[] = [];
  private readonly used = new Set<Reg>();
  readonly calleeSaved = new Set<Reg>();
  frame: number;
  private labelNo = 0;
  /** Runtime helpers the unit needs (names without prefix). */
  readonly helpers: Set<string>;
  readonly data: string[];
  loc: Loc | undefined;

  constructor(readonly asm: string, readonly prefix: string, frame: number, helpers: Set<string>, data: string[]) {
    this.frame = frame;
    this.helpers = helpers;
    this.data = data;
  }

  emit(s: string): void { this.out.push(`        ${s}`); }
  label(l: string): void { this.out.push(`${l}:`); }
  newLabel(): string { return `.C${++this.labelNo}`; }
  helper(name: string): string { this.helpers.add(name); return `${this.prefix}rt_${name}`; }

  // ---- registers ---------------------------------------------------------------------------
  freeCount(): number { return POOL.filter((r) => !this.used.has(r)).length; }
  isUsed(r: Reg): boolean { return this.used.has(r); }
  alloc(): Reg {
    const r = POOL.find((x) => !this.used.has(x));
    if (!r) throw new InternalError('out of temporary registers');
    this.used.add(r);
    if (r !== 'ecx') this.calleeSaved.add(r);
    return r;
  }
  take(r: Reg): void {
    if (this.used.has(r)) throw new InternalError(`register ${r} taken twice`);
    this.used.add(r);
    if (r !== 'ecx') this.calleeSaved.add(r);
  }
  release(r: Reg | undefined | 'ebp' | 'esp'): void {
    if (r && r !== 'eax' && r !== 'edx' && r !== 'ebp' && r !== 'esp') this.used.delete(r);
  }
  releaseVal(v: Val | undefined): void { if (v) { this.release(v.lo); this.release(v.hi); } }
  releaseAddr(a: Addr): void { this.release(a.base); this.release(a.index); }
  liveCallerSaved(): Reg[] { return this.used.has('ecx') ? ['ecx'] : []; }
  /** Allocates a pool register, unless `v` already is one (then it is reused). */
  own(r: Reg): Reg {
    if (POOL.includes(r)) return r;
    const n = this.alloc();
    this.emit(`mov ${n}, ${r}`);
    return n;
  }

  tempSlot(size: number): number {
    this.frame = alignUp(this.frame + size, 4);
    return -this.frame;
  }

  // ---- addresses -----------------------------------------------------------------------------
  fmt(a: Addr): string {
    const parts: string[] = [];
    if (a.base) parts.push(a.base);
    if (a.index) parts.push(`${a.index}*${a.scale ?? 1}`);
    if (a.sym) parts.push(a.sym);
    let s = parts.join(' + ');
    if (a.off !== 0 || parts.length === 0) {
      s += s === '' ? `${a.off}` : a.off < 0 ? ` - ${-a.off}` : ` + ${a.off}`;
    }
    return `[${s}]`;
  }
  addrOff(a: Addr, k: number): Addr { return { ...a, off: a.off + k }; }
  /** The address as a value in a register (lea). */
  lea(a: Addr): Reg {
    if (a.base && a.base !== 'ebp' && a.base !== 'esp' && !a.sym && a.off === 0 && !a.index) return this.own(a.base);
    this.releaseAddr(a);
    const r = this.alloc();
    if (!a.base && !a.index && a.sym) this.emit(`mov ${r}, ${a.sym}${a.off ? (a.off < 0 ? ` - ${-a.off}` : ` + ${a.off}`) : ''}`);
    else this.emit(`lea ${r}, ${this.fmt(a)}`);
    return r;
  }

  /** An address that holds base and index registers, folded into one (to free a register). */
  compact(a: Addr): Addr {
    if (!a.index || !a.base || !POOL.includes(a.base as Reg)) return a;
    this.emit(`lea ${a.base}, ${this.fmt(a)}`);
    this.release(a.index);
    return { base: a.base, off: 0 };
  }

  // ---- loads, stores, conversions -------------------------------------------------------------
  /** Loads a value of type ty from a; releases a's register (reusing it when it can). */
  load(a0: Addr, ty: Type): Val {
    if (ty.k === 'struct' || ty.k === 'array' || ty.k === 'func') return { lo: this.lea(a0) };
    const size = sizeOf(ty);
    const a = size === 8 && this.freeCount() === 0 ? this.compact(a0) : a0;
    const reuse = a.base && POOL.includes(a.base as Reg) ? a.base as Reg : a.index && POOL.includes(a.index) ? a.index : undefined;
    // The register not reused as the destination is free once the load has read it.
    const other = reuse === a.base ? a.index : a.base;
    if (size === 8) {
      const hi = this.alloc();
      this.emit(`mov ${hi}, ${this.fmt(this.addrOff(a, 4))}`);
      const lo = reuse ?? this.alloc();
      this.emit(`mov ${lo}, ${this.fmt(a)}`);
      if (other && other !== 'ebp' && other !== 'esp') this.release(other);
      return { lo, hi };
    }
    const r = reuse ?? this.alloc();
    this.emit(`${loadOp(ty)} ${r}, ${this.fmt(a)}`);
    if (other && other !== 'ebp' && other !== 'esp') this.release(other);
    return { lo: r };
  }

  loadInto(r: Reg, a: Addr, ty: Type): void {
    this.emit(`${loadOp(ty)} ${r}, ${this.fmt(a)}`);
  }

  store(a: Addr, ty: Type, v: Val): void {
    if (ty.k === 'struct') { this.copy(a, { base: v.lo, off: 0 }, sizeOf(ty)); return; }
    const size = sizeOf(ty);
    if (size === 8) {
      this.emit(`mov ${this.fmt(a)}, ${v.lo}`);
      this.emit(`mov ${this.fmt(this.addrOff(a, 4))}, ${v.hi ?? 'edx'}`);
      return;
    }
    this.emit(`${storeOp(size)} ${this.fmt(a)}, ${v.lo}`);
  }

  storeImm(a: Addr, ty: Type, val: bigint): void {
    const size = sizeOf(ty);
    if (size === 8) {
      this.emit(`mov ${this.fmt(a)}, ${imm(val & 0xffffffffn)}`);
      this.emit(`mov ${this.fmt(this.addrOff(a, 4))}, ${imm(val >> 32n)}`);
      return;
    }
    this.emit(`${storeOp(size)} ${this.fmt(a)}, ${imm(val)}`);
  }

  /** Copies n bytes; uses eax (and a helper for big objects). Does not release the addresses. */
  copy(dst: Addr, src: Addr, n: number): void {
    if (n > 64) {
      this.emit(`push ${n}`);
      this.pushAddr(src, 4);
      this.pushAddr(dst, 8);
      this.emit(`call ${this.helper('copy')}`);
      this.emit('add esp, 12');
      return;
    }
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      this.emit(`mov eax, ${this.fmt(this.addrOff(src, k))}`);
      this.emit(`mov ${this.fmt(this.addrOff(dst, k))}, eax`);
    }
    for (; k < n; k++) {
      this.emit(`movzxb eax, ${this.fmt(this.addrOff(src, k))}`);
      this.emit(`movb ${this.fmt(this.addrOff(dst, k))}, eax`);
    }
  }

  zero(dst: Addr, n: number): void {
    if (n > 64) {
      this.emit(`push ${n}`);
      this.pushAddr(dst, 4);
      this.emit(`call ${this.helper('zero')}`);
      this.emit('add esp, 8');
      return;
    }
    let k = 0;
    for (; k + 4 <= n; k += 4) this.emit(`mov ${this.fmt(this.addrOff(dst, k))}, 0`);
    for (; k < n; k++) this.emit(`movb ${this.fmt(this.addrOff(dst, k))}, 0`);
  }

  /** Pushes an address; `pushed` is how many bytes were pushed since `a` was formed (esp-relative). */
  pushAddr(a: Addr, pushed: number): void {
    const b = a.base === 'esp' ? this.addrOff(a, pushed) : a;
    if (!b.base && b.sym) { this.emit(`push ${b.sym}${b.off ? (b.off < 0 ? ` - ${-b.off}` : ` + ${b.off}`) : ''}`); return; }
    this.emit(`lea eax, ${this.fmt(b)}`);
    this.emit('push eax');
  }

  /** Converts a value between scalar types (and to void). */
  convert(v: Val, from: Type, to: Type): Val | undefined {
    if (to.k === 'void') { this.releaseVal(v); return undefined; }
    if (to.k === 'struct') return v;
    const fs = from.k === 'int' ? from.size : 4;
    const fsigned = from.k === 'int' && from.signed;
    if (to.k === 'int' && to.rank === 0) {
      if (fs === 8) {
        this.emit(`or ${v.lo}, ${v.hi}`);
        this.release(v.hi);
      }
      this.emit(`test ${v.lo}, ${v.lo}`);
      this.emit(`setne ${v.lo}`);
      return { lo: v.lo };
    }
    const ts = to.k === 'int' ? to.size : 4;
    if (ts === 8) {
      if (fs === 8) return v;
      const hi = this.alloc();
      if (fsigned) { this.emit(`mov ${hi}, ${v.lo}`); this.emit(`sar ${hi}, 31`); }
      else this.emit(`mov ${hi}, 0`);
      return { lo: v.lo, hi };
    }
    if (fs === 8) this.release(v.hi);
    const r = v.lo;
    const signed = to.k === 'int' && to.signed;
    // A register holds a narrow value already extended; re-extend only when the range changes.
    const fits = from.k === 'int' && fs <= ts && (fsigned === signed || (fs < ts && !fsigned));
    if (ts < 4 && !fits) {
      this.emit(`${signed ? 'movsx' : 'movzx'}${ts === 1 ? 'b' : 'w'} ${r}, ${r}`);
    }
    return { lo: r };
  }

  /** Moves a value into specific registers (for joins, like the arms of ?:). */
  moveTo(dst: Val, src: Val): void {
    if (src.hi && dst.hi) {
      if (src.lo === dst.lo && src.hi === dst.hi) return;
      this.emit(`mov eax, ${src.lo}`);
      this.emit(`mov edx, ${src.hi}`);
      this.emit(`mov ${dst.lo}, eax`);
      this.emit(`mov ${dst.hi}, edx`);
      return;
    }
    if (src.lo !== dst.lo) this.emit(`mov ${dst.lo}, ${src.lo}`);
  }

  error(message: string): never {
    fail(this.loc, message);
  }
}

export function loadOp(ty: Type): string {
  if (ty.k !== 'int' || ty.size === 4 || ty.size === 8) return 'mov';
  return `${ty.signed ? 'movsx' : 'movzx'}${ty.size === 1 ? 'b' : 'w'}`;
}

export function storeOp(size: number): string {
  return size === 1 ? 'movb' : size === 2 ? 'movw' : 'mov';
}

export function imm(v: bigint): string {
  return BigInt.asIntN(32, v).toString();
}
