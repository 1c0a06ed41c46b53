/** Static storage: initialised objects go to .data (bytes plus address words), the rest to .bss. */
import type { GlobalVar } from './ast.js';
import { evalConst } from './constexpr.js';
import { alignOf, sizeOf } from './types.js';
import { fail } from './errors.js';

export interface DataOut {
  data: string[];
  bss: string[];
}

export function emitGlobal(g: GlobalVar, out: DataOut): void {
  const size = sizeOf(g.ty);
  const align = Math.max(alignOf(g.ty), size >= 4 ? 4 : 1, g.align ?? 1);
  const bytes = new Uint8Array(size);
  const relocs = new Map<number, string>();
  let nonzero = false;
  for (const en of g.entries ?? []) {
    if ('bytes' in en) {
      bytes.set(en.bytes.slice(0, Math.max(0, size - en.off)), en.off);
      if (en.bytes.some((b) => b !== 0)) nonzero = true;
      continue;
    }
    const n = sizeOf(en.ty);
    const v = evalConst(en.expr);
    if (en.bits) {
      if (v.sym !== undefined) fail(en.expr.loc, 'a bit-field cannot hold an address');
      let word = 0n;
      for (let k = n - 1; k >= 0; k--) word = (word << 8n) | BigInt(bytes[en.off + k]!);
      const mask = ((1n << BigInt(en.bits.width)) - 1n) << BigInt(en.bits.bit);
      word = (word & ~mask) | ((BigInt.asUintN(32, v.val) << BigInt(en.bits.bit)) & mask);
      for (let k = 0; k < n; k++) bytes[en.off + k] = Number((word >> BigInt(8 * k)) & 0xffn);
      if (v.val !== 0n) nonzero = true;
      continue;
    }
    for (let k = 0; k < n; k++) {
      relocs.delete(en.off + k);
      bytes[en.off + k] = Number((BigInt.asUintN(64, v.val) >> BigInt(8 * k)) & 0xffn);
    }
    if (v.sym !== undefined) {
      const off = BigInt.asIntN(32, v.val);
      relocs.set(en.off, `${v.sym}${off === 0n ? '' : off < 0n ? ` - ${-off}` : ` + ${off}`}`);
      nonzero = true;
    } else if (v.val !== 0n) nonzero = true;
  }
  const head = [...(g.isStatic ? [] : [`.global ${g.asm}`]), `.align ${align}`, `${g.asm}:`];
  if (!nonzero) {
    out.bss.push(...head, `        .space ${size}`);
    return;
  }
  out.data.push(...head);
  let run: number[] = [];
  const flush = (): void => {
    for (let i = 0; i < run.length; i += 16) out.data.push(`        .byte ${run.slice(i, i + 16).join(', ')}`);
    run = [];
  };
  for (let k = 0; k < size;) {
    const r = relocs.get(k);
    if (r !== undefined) {
      flush();
      out.data.push(`        .dword ${r}`);
      k += 4;
      continue;
    }
    run.push(bytes[k]!);
    k++;
  }
  flush();
}

export function emitString(label: string, bytes: number[], out: DataOut): void {
  out.data.push(`${label}:`);
  const all = [...bytes, 0];
  for (let i = 0; i < all.length; i += 16) out.data.push(`        .byte ${all.slice(i, i + 16).join(', ')}`);
}
