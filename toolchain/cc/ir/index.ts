/**
 * The optimizing back end for one function: lower to IR, optimize, allocate registers, emit
 * (docs/cc-optimizer.md). Returns undefined for a function using something the IR does not
 * model; the caller then uses the -O0 code generator for that function alone.
 */
import type { FuncDef } from '../ast.js';
import { emitFunction } from './frame.js';
import { lowerFunction, Unsupported } from './lower.js';
import { optimize } from './optimize.js';

export function genFunctionOptimized(fn: FuncDef, prefix: string, helpers: Set<string>, tables: string[], level: number): string[] | undefined {
  let ir;
  try {
    ir = lowerFunction(fn, prefix, helpers);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  optimize(ir, level);
  return emitFunction(fn, ir, prefix, tables);
}
