/**
 * The vCPU's entry module (docs/jit.md, "Chaining"): one instance per vCPU, the only one that
 * imports the vCPU's table of regions.
 *
 * - `enter(budget, block, n, slot)`: JavaScript runs the region in a table slot through it.
 *   Calling each region's own export went through V8's generic JS-to-Wasm wrapper until that
 *   export had been called often enough for a specific one (6% of the database load's time);
 *   one shared entry point gets its specific wrapper at once.
 * - `o0`, `o1`, `o2` (`out` for paging off, ring 0 and ring 3): a region leaving for another
 *   address tail-calls it (imported as `e.o`), and it tail-calls the region there when the entry
 *   cache allows, else returns to the dispatcher. Regions import it instead of the table because
 *   V8 copies an imported table into every instance that imports it: instantiating a region
 *   cost 27 µs against a 64-slot table and 68-136 µs against 512 slots (measured on this
 *   machine), and a VM of the paper's sweep instantiates several hundred.
 */
import { ENTRY_CACHE_SIZE, S_CHAINS, S_ENTRY_CACHE, S_GEN, S_SLOT_GEN, S_TLB_KERNEL, S_TLB_USER, TLB_FRAME, TLB_READ } from './jit-state.js';
import type { Mode } from './jit-emit.js';
import { Code, I32, Op, moduleBytes, type FuncDef } from './wasm-encoder.js';

/**
 * out(n, budget, eip, pageVa, pagePa) → n: after a completed block, continue at eip in another
 * region without returning to the dispatcher, when the entry cache has a record for (eip, mode)
 * whose region the dispatcher has checked in this run, and eip's page maps where the record says
 * by the rules of instruction fetch: the page being executed (the interpreter's cached page,
 * pageVa at physical pagePa) is taken as it is; another page must hit the TLB with the record's
 * frame (a miss goes to the dispatcher and the interpreter, which walks). With pagePa -1 (after a
 * page-end instruction the interpreter caches no page) every target must hit the TLB. Otherwise
 * returns n to the dispatcher. The state is in memory already (the region's `leave`); the next
 * region loads it.
 */
function outFunction(mode: Mode): FuncDef {
  const state = mode.ramSize;
  const tlb = state + (mode.cpl === 0 ? S_TLB_KERNEL : S_TLB_USER);
  const modeKey = !mode.paging ? 0 : mode.cpl === 0 ? 1 : 2;
  const N = 0, BUDGET = 1, EIP = 2, PAGE_VA = 3, PAGE_PA = 4, REC = 5, S = 6;
  const c = new Code();
  const fail = (): void => { c.op(Op.if).byte(0x40).get(N).op(Op.return).op(Op.end); };
  // entryRecord(eip) * 16
  c.get(EIP).i32(2).op(Op.i32_shr_u).i32(ENTRY_CACHE_SIZE - 1).op(Op.i32_and).i32(4).op(Op.i32_shl).set(REC);
  c.get(REC).mem(Op.i32_load, 2, state + S_ENTRY_CACHE).get(EIP).i32(modeKey).op(Op.i32_or).op(Op.i32_ne);
  fail();
  if (mode.paging) {
    // On the cached page: the record's frame must be that page's.
    c.get(PAGE_PA).i32(0).op(Op.i32_ge_s);
    c.get(EIP).get(PAGE_VA).op(Op.i32_xor).i32(12).op(Op.i32_shr_u).op(Op.i32_eqz).op(Op.i32_and);
    c.op(Op.if).byte(0x40);
    c.get(REC).mem(Op.i32_load, 2, state + S_ENTRY_CACHE + 4).get(PAGE_PA).op(Op.i32_ne);
    fail();
    c.op(Op.else);
    // Elsewhere: the current ring's TLB must give the record's frame.
    c.get(EIP).i32(12).op(Op.i32_shr_u).i32(255).op(Op.i32_and).i32(2).op(Op.i32_shl).set(S);
    c.get(S).mem(Op.i32_load, 2, tlb + TLB_READ).get(EIP).i32(12).op(Op.i32_shr_u).op(Op.i32_ne);
    c.get(S).mem(Op.i32_load, 2, tlb + TLB_FRAME).get(REC).mem(Op.i32_load, 2, state + S_ENTRY_CACHE + 4).op(Op.i32_ne);
    c.op(Op.i32_or);
    fail();
    c.op(Op.end);
  }
  // The target's slot (in S) must hold a region checked in this run.
  c.get(REC).mem(Op.i32_load, 2, state + S_ENTRY_CACHE + 8).set(S);
  c.get(S).i32(2).op(Op.i32_shl).mem(Op.i32_load, 2, state + S_SLOT_GEN).i32(0).mem(Op.i32_load, 2, state + S_GEN).op(Op.i32_ne);
  fail();
  c.i32(0).i32(0).mem(Op.i32_load, 2, state + S_CHAINS).i32(1).op(Op.i32_add).mem(Op.i32_store, 2, state + S_CHAINS);
  c.get(BUDGET).get(REC).mem(Op.i32_load, 2, state + S_ENTRY_CACHE + 12).get(N).get(S);
  c.op(Op.return_call_indirect).u32(0).u32(0);
  return { params: [I32, I32, I32, I32, I32], results: [I32], locals: [I32, I32], body: c };
}

/** The entry module's bytes for a vCPU whose state area starts at `ramSize`. */
export function entryModuleBytes(ramSize: number): Uint8Array {
  const modes: Mode[] = [{ paging: false, cpl: 0, ramSize }, { paging: true, cpl: 0, ramSize }, { paging: true, cpl: 3, ramSize }];
  return moduleBytes([
    // Function 0 only gives the module the regions' type (index 0) for the indirect calls.
    { params: [I32, I32, I32], results: [I32], locals: [], body: new Code().op(Op.unreachable) },
    {
      params: [I32, I32, I32, I32], results: [I32], locals: [], export: 'enter',
      body: new Code().get(0).get(1).get(2).get(3).op(Op.return_call_indirect).u32(0).u32(0),
    },
    ...modes.map((m, k) => ({ ...outFunction(m), export: `o${k}` })),
  ], 'enter', { table: true, chain: false });
}
