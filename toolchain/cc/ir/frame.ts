/** A function's frame around the emitted blocks: prologue, callee-saved registers, epilogue. */
import type { FuncDef } from '../ast.js';
import { FunctionEmitter } from './emit.js';
import type { IrFunction } from './ir.js';
import { allocate } from './regalloc.js';

export function emitFunction(fn: FuncDef, ir: IrFunction, prefix: string, tables: string[]): string[] {
  const alloc = allocate(ir, fn.frameSize);
  const body = new FunctionEmitter(ir, alloc, fn.asm, tables, prefix).run();
  const frame = Math.ceil(alloc.frame / 4) * 4;
  const out: string[] = [];
  if (!fn.isStatic) out.push(`.global ${fn.asm}`);
  out.push(`${fn.asm}:`, '        push ebp', '        mov ebp, esp');
  if (frame) out.push(`        sub esp, ${frame}`);
  for (const r of alloc.saved) out.push(`        push ${r}`);
  out.push(...body, '.Lret:');
  if (alloc.saved.length) {
    out.push(`        lea esp, [ebp - ${frame + 4 * alloc.saved.length}]`);
    for (const r of [...alloc.saved].reverse()) out.push(`        pop ${r}`);
  }
  out.push('        mov esp, ebp', '        pop ebp', '        ret');
  return out;
}
