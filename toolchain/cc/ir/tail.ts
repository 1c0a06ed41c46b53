/**
 * Tail calls (-O2; docs/cc-optimizer.md). A direct call whose result is returned as it is (or a
 * call followed by a plain return, in a void function) becomes a jump, when the cdecl ABI allows
 * it: the callee's arguments fit in the words the caller's own caller pushed (they are stored
 * there, and that caller pops them as it always does), and nothing in the caller's frame can be
 * referred to after it is gone (no local lives in memory, no parameter's address is taken).
 * emit.ts stores the arguments, runs the epilogue and jumps.
 */
import type { FuncDef } from '../ast.js';
import { sizeOf } from '../types.js';
import type { Addr, IrFunction } from './ir.js';

/** Whether the function's frame holds nothing but parameters read in place and spill slots. */
function frameEscapes(ir: IrFunction): boolean {
  const inFrame = (a: Addr): boolean => a.frame === true;
  for (const b of ir.blocks) {
    for (const i of b.ins) {
      if (i.op === 'lea' && inFrame(i.addr)) return true;
      if ((i.op === 'load' || i.op === 'store') && inFrame(i.addr) && i.addr.disp <= 0) return true;
    }
  }
  return false;
}

/** Marks the calls that emit.ts turns into jumps; returns how many. */
export function markTailCalls(ir: IrFunction, fn: FuncDef): number {
  if (fn.ty.variadic || fn.retPtrOff !== undefined) return 0;
  const incoming = fn.params.reduce((n, p) => n + Math.ceil(sizeOf(p.ty) / 4), 0);
  let marked = 0;
  let escapes: boolean | undefined;
  for (const b of ir.blocks) {
    const last = b.ins[b.ins.length - 1];
    const t = b.term;
    if (!last || last.op !== 'call' || t.t !== 'ret' || last.fn.k !== 'i' || last.fn.sym === undefined) continue;
    if (last.args.length > incoming) continue;
    const returnsIt = t.a === undefined
      ? fn.ty.ret.k === 'void'
      : t.a.k === 'v' && t.a.v === last.d && (t.a2 === undefined ? last.d2 === undefined : t.a2.k === 'v' && t.a2.v === last.d2);
    if (!returnsIt) continue;
    escapes ??= frameEscapes(ir);
    if (escapes) return 0;
    last.tail = true;
    marked++;
  }
  return marked;
}
