/** Constant initializers of static storage: integers and addresses (symbol + offset). */
import type { Expr } from './ast.js';
import { fail } from './errors.js';
import { sizeOf, wrap } from './types.js';

export interface ConstVal {
  sym: string | undefined;
  val: bigint;
}

export function checkConstant(e: Expr): void {
  evalConst(e);
}

function addrConst(e: Expr): ConstVal {
  switch (e.e) {
    case 'var':
      if (e.v.kind !== 'global') break;
      return { sym: e.v.asm, val: 0n };
    case 'str':
      return { sym: e.label, val: 0n };
    case 'member': {
      const a = addrConst(e.a);
      return { sym: a.sym, val: a.val + BigInt(e.off) };
    }
    case 'deref':
      return evalConst(e.a);
    default: break;
  }
  fail(e.loc, 'initializer element is not constant');
}

export function evalConst(e: Expr): ConstVal {
  switch (e.e) {
    case 'num': return { sym: undefined, val: e.val };
    case 'addr': return addrConst(e.a);
    case 'cast': {
      const v = evalConst(e.a);
      if (v.sym !== undefined) {
        if (e.ty.k === 'void' || sizeOf(e.ty) !== 4) break;
        return v;
      }
      return { sym: undefined, val: wrap(v.val, e.ty) };
    }
    case 'bin': {
      if (e.op !== '+' && e.op !== '-') break;
      const a = evalConst(e.a);
      const b = evalConst(e.b);
      if (b.sym !== undefined && (e.op === '-' || a.sym !== undefined)) break;
      return { sym: a.sym ?? b.sym, val: wrap(e.op === '+' ? a.val + b.val : a.val - b.val, e.ty) };
    }
    default: break;
  }
  fail(e.loc, 'initializer element is not constant');
}
