/**
 * A function's frame around the emitted blocks: prologue, callee-saved registers, epilogue.
 *
 * The frame holds only what the IR still keeps in memory (locals whose address is taken,
 * arrays, structs) and the spill slots: promoted locals keep the offsets the parser gave them,
 * but when nothing at or below an offset is referenced the frame stops above it. A function
 * whose frame is empty and which reads the frame only to load its parameters at entry needs no
 * frame pointer at all: its parameters are read relative to esp and ebp is left alone.
 * Code from the IR keeps esp balanced (a call pops its arguments, a borrowed register is
 * popped back), so the epilogue pops the saved registers without first resetting esp.
 */
import type { FuncDef } from '../ast.js';
import { FunctionEmitter } from './emit.js';
import type { Addr, IrFunction } from './ir.js';
import { allocate } from './regalloc.js';

/** Bytes below ebp the IR refers to (a frame address's most negative displacement). */
function frameDepth(ir: IrFunction): number {
  let depth = 0;
  const see = (a: Addr): void => { if (a.frame && a.disp < 0) depth = Math.max(depth, -a.disp); };
  for (const b of ir.blocks) for (const i of b.ins) if (i.op === 'load' || i.op === 'store' || i.op === 'lea') see(i.addr);
  return Math.ceil(depth / 4) * 4;
}

/** Whether the only frame accesses are parameter loads at the very start of the entry block. */
function onlyEntryParamLoads(ir: IrFunction): boolean {
  let prefix = true;
  for (const b of ir.blocks) {
    for (const i of b.ins) {
      const frame = (i.op === 'load' || i.op === 'store' || i.op === 'lea') && i.addr.frame === true;
      if (!frame) { prefix = false; continue; }
      if (!prefix || b !== ir.blocks[0] || i.op !== 'load' || i.addr.disp <= 0) return false;
    }
    prefix = false;
  }
  return true;
}

export function emitFunction(fn: FuncDef, ir: IrFunction, prefix: string, tables: string[]): string[] {
  const alloc = allocate(ir, frameDepth(ir));
  const frame = Math.ceil(alloc.frame / 4) * 4;
  const frameless = frame === 0 && onlyEntryParamLoads(ir);
  // Run before a tail call's jump as well as at .Lret.
  const epilogue: string[] = [];
  for (const r of [...alloc.saved].reverse()) epilogue.push(`        pop ${r}`);
  if (!frameless) {
    if (frame) epilogue.push('        mov esp, ebp');
    epilogue.push('        pop ebp');
  }
  const emitter = new FunctionEmitter(ir, alloc, fn.asm, tables, prefix, frameless ? 4 * alloc.saved.length - 4 : undefined, epilogue);
  const body = emitter.run();
  const out: string[] = [];
  if (!fn.isStatic) out.push(`.global ${fn.asm}`);
  out.push(`${fn.asm}:`);
  if (!frameless) out.push('        push ebp', '        mov ebp, esp');
  if (frame) out.push(`        sub esp, ${frame}`);
  for (const r of alloc.saved) out.push(`        push ${r}`);
  out.push(...body, '.Lret:', ...epilogue, '        ret');
  return out;
}
