/**
 * Lockstep checking of the two execution tiers (docs/jit.md, "Tests"): two vCPUs, interpreter
 * and compiler, set up identically, run with the same budgets, and are compared after every
 * run(). Shared by the jit-*.test.ts files.
 */
import { createHash } from 'node:crypto';
import type { VmExit } from '../../vmm/exits.js';
import { setDefaultHotThreshold } from '../../vmm/cpu/jit.js';
import { Machine } from './harness.js';

// The lockstep guests are short: compile after 50 branch executions (the default is higher).
// The threshold decides only when code compiles, never what it does.
setDefaultHotThreshold(50);

export type Setup = (m: Machine) => void;

/** A pair of machines, interpreter and compiler, set up identically. */
export function pair(setup: Setup): [Machine, Machine] {
  const a = new Machine(1 << 20, 'interp');
  const b = new Machine(1 << 20, 'jit');
  setup(a);
  setup(b);
  return [a, b];
}

export function state(m: Machine, x: VmExit): string {
  const c = m.cpu;
  return JSON.stringify({ x, s: c.snapshot(), retired: c.retired, tlb: c.tlbMisses, exitEip: c.exitEip, ok: c.interruptible });
}

export const ramHash = (m: Machine): string => createHash('sha256').update(m.mem.ram).digest('hex');

/**
 * Runs both machines with the same budgets (from `budgets`) and answers every exit the same way;
 * returns a description of the first difference, or null. `between` may change both machines
 * between two runs (a host write to guest memory, for example).
 */
export function lockstep(a: Machine, b: Machine, budgets: () => number, rounds: number,
  between?: (m: Machine, round: number) => void): string | null {
  for (let k = 0; k < rounds; k++) {
    const budget = budgets();
    const xa = a.run(budget), xb = b.run(budget);
    const sa = state(a, xa), sb = state(b, xb);
    if (sa !== sb) return `round ${k} (budget ${budget}):\n interp ${sa}\n jit    ${sb}`;
    if (xa.reason === 'shutdown') break;
    for (const m of [a, b]) {
      if (xa.reason === 'io' && !xa.write) m.cpu.completeIo(k * 7919);
      if (xa.reason === 'mmio' && !xa.write) m.cpu.completeMmioRead(k * 104729);
      if ((xa.reason === 'hlt' || xa.reason === 'preemption') && m.cpu.interruptible && k % 3 === 0) m.cpu.injectInterrupt(32 + (k % 16));
      // A window request left over from an earlier exit (vm.ts keeps it when the PIC's request
      // went away): the window exit must come at the same instruction in both tiers.
      if (xa.reason === 'interrupt-window') m.cpu.wantInterruptWindow = false;
      else if (k % 4 === 1) m.cpu.wantInterruptWindow = true;
      between?.(m, k);
    }
  }
  if (ramHash(a) !== ramHash(b)) return 'RAM differs at the end';
  return null;
}

/** A deterministic budget sequence: mostly large (regions run long), sometimes tiny. */
export function budgetsFrom(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const r = x >>> 0;
    return r % 4 === 0 ? 1 + (r >>> 8) % 7 : 1 + (r >>> 8) % 5000;
  };
}
