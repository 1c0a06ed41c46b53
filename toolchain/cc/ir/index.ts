/**
 * The optimizing back end for one function: lower to IR, optimize, allocate registers, emit
 * (docs/cc-optimizer.md). Returns undefined for a function using something the IR does not
 * model (or nested too deeply for it); the caller then uses the -O0 code generator for that
 * function alone.
 */
import type { FuncDef } from '../ast.js';
import { emitFunction } from './frame.js';
import { lowerFunction, Unsupported } from './lower.js';
import { optimize } from './optimize.js';
import { markTailCalls } from './tail.js';

/**
 * `callees`: the unit's functions by assembly name, for inlining (-O2). Returns the function's
 * assembly, or why it must be compiled by the -O0 generator instead.
 */
export function genFunctionOptimized(
  fn: FuncDef, prefix: string, helpers: Set<string>, tables: string[], level: number, callees: ReadonlyMap<string, FuncDef>,
): { lines: string[] } | { fallback: string } {
  let ir;
  try {
    ir = lowerFunction(fn, prefix, helpers, level >= 2 ? callees : new Map());
  } catch (e) {
    if (e instanceof Unsupported) return { fallback: e.message };
    // The lowering recurses more deeply per expression level than the -O0 generator: an
    // expression nested deeply enough to exhaust the host stack here may still compile there.
    if (e instanceof RangeError && /call stack/i.test(e.message)) return { fallback: 'nested too deeply' };
    throw e;
  }
  optimize(ir, level);
  if (level >= 2) markTailCalls(ir, fn);
  return { lines: emitFunction(fn, ir, prefix, tables) };
}
