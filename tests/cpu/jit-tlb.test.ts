/**
 * TLB refills from compiled code (docs/jit.md, "Exactness"): a compiled load or store whose
 * TLB lookup misses calls Mmu.refill, which walks as the interpreter would when the walk cannot
 * fault, and otherwise changes nothing so that the interpreter runs the instruction. Random hot
 * loops over pages that all share TLB slot 0 (so nearly every access misses), some of them
 * read-only, absent, behind an absent directory entry or supervisor-only, with calls and jumps
 * through memory (two accesses in one instruction), a stack on a colliding page, and a guest
 * that remaps a page between refills with and without invlpg; both tiers in lockstep at random
 * budgets, in ring 0 and ring 3.
 */
import t from 'tap';
import fc from 'fast-check';
import { CODE, KSTACK, PTE } from './harness.js';
import { budgetsFrom, lockstep, pair, type Setup } from './jit-kit.js';

/** Virtual pages whose vpn & 255 is 0: they all use TLB slot 0 of the ring's TLB. */
const RW = 0x400000, RW2 = 0x500000, RO = 0x600000, ABSENT = 0x700000, NO_PDE = 0x4000000, SUPER = 0x800000, REMAP = 0x900000;
const PAGES = [RW, RW2, RO, ABSENT, NO_PDE, SUPER, REMAP];
/** The two frames REMAP's PTE switches between (the guest rewrites the PTE). */
const FRAME_A = 0x4c000, FRAME_B = 0x4d000;
const STACK_TOP = 0x7f000;

interface Access { op: number; page: number; offset: number; reg: number }

/** One random memory operation, as assembly. `k` makes its labels unique. */
function operation(a: Access, k: number, pte: number): string {
  const x = `${a.page + a.offset}`;
  const r = ['eax', 'ebx', 'ecx', 'edx'][a.reg]!;
  switch (a.op) {
    case 0: return `mov ${r}, [${x}]`;
    case 1: return `mov [${x}], ${r}`;
    case 2: return `movzxb ${r}, [${x}]`;
    case 3: return `movb [${x}], ${r}`;
    case 4: return `add ${r}, [${x}]`;
    case 5: return `movw [${x}], 0x1234`;
    // call [m]: the target's load, then the push on a stack that shares the TLB slot, and that
    // is sometimes misaligned (the push leaves the region after the load's refill)
    case 6: return `mov [${x}], fn\nmov esp, ${RW2 + 0x800 + (a.reg === 3 ? 2 : 0)}\ncall [${x}]\nmov esp, ${STACK_TOP}`;
    case 7: return `mov [${x}], l${k}\njmp [${x}]\nl${k}:`;
    case 8: return `push ${r}\npop ${r}`;
    // The guest remaps REMAP to the other frame, with or without invlpg (the stale entry
    // stays in the TLB until something evicts it, in both tiers).
    case 9: return `mov esi, [${pte}]\nxor esi, ${FRAME_A ^ FRAME_B}\nmov [${pte}], esi${a.reg & 1 ? '' : `\ninvlpg [${REMAP}]`}`;
    default: return `mov ${r}, [${x}]\nadd ${r}, 1\nmov [${x}], ${r}`;
  }
}

const access = fc.record({
  op: fc.nat(10),
  page: fc.constantFrom(...PAGES, RW, RW2, REMAP), // mostly mapped pages
  // mostly aligned dwords, sometimes unaligned or crossing into the next page
  offset: fc.oneof(fc.nat(1023).map((w) => 4 * w), fc.constantFrom(1, 0x7ff, 0xffe, 0xffd)),
  reg: fc.nat(3),
});

function setup(ops: Access[], ring3: boolean): Setup {
  return (m) => {
    const pt = m.paging();
    pt.map(RW, 0x48000, PTE.P | PTE.RW | PTE.US);
    pt.map(RW + 0x1000, 0x4e000, PTE.P | PTE.RW | PTE.US); // where crossing accesses of RW land
    pt.map(RW2, 0x49000, PTE.P | PTE.RW | PTE.US);
    pt.map(RO, 0x4a000, PTE.P | PTE.US);
    pt.map(ABSENT, 0x4b000, 0);
    pt.map(SUPER, 0x4f000, PTE.P | PTE.RW);
    pt.map(REMAP, FRAME_A, PTE.P | PTE.RW | PTE.US);
    const pte = pt.pteAddr(REMAP);
    // Faults and injected interrupts return to the loop's top (CODE + 8, which resets esp), in
    // the ring they came from: the handler rewrites the frame's return eip and irets.
    m.code(`mov [esp + 4], ${CODE + 8}\nadd esp, 4\niret\n`, 0xf000);
    for (let v = 0; v < 256; v++) m.gate(v, 0xf000, { dpl: 3 });
    m.setIdtr();
    m.cpu.ksp = KSTACK;
    const body = ops.map((a, k) => operation(a, k, pte)).join('\n');
    m.code(`
      mov ebp, 200
    top:
      mov esp, ${STACK_TOP}
      dec ebp
      je done
      ${body}
      jmp top
    done:
      hlt
    fn:
      add eax, 3
      ret
    `);
    m.cpu.regs[0] = 0x11; m.cpu.regs[1] = 0x22; m.cpu.regs[2] = 0x33; m.cpu.regs[3] = 0x44;
    if (ring3) m.cpu.setPrivilege(3);
  };
}

for (const ring3 of [false, true]) {
  t.test(`TLB refills in compiled code, ring ${ring3 ? 3 : 0}: interp and jit agree at random budgets`, async (t) => {
    let regionInsns = 0, retired = 0, misses = 0;
    fc.assert(fc.property(fc.array(access, { minLength: 3, maxLength: 14 }), fc.nat(), (ops, bseed) => {
      const [a, b] = pair(setup(ops, ring3));
      const problem = lockstep(a, b, budgetsFrom(bseed), 40);
      if (b.cpu.jit!.stats.compileErrors !== 0) throw new Error('V8 refused a compiled module');
      if (problem) throw new Error(problem);
      regionInsns += b.cpu.jit!.stats.regionInsns;
      retired += b.cpu.retired;
      misses += b.cpu.tlbMisses;
    }), { numRuns: 25 });
    t.ok(regionInsns > retired / 4, `compiled code ran (${regionInsns} of ${retired} instructions)`);
    t.ok(misses > 1000, `the TLB missed often (${misses} walks)`);
  });
}

t.test('a hot loop over colliding pages stays in compiled code: its misses are refilled there', async (t) => {
  const [a, b] = pair(setup([
    { op: 0, page: RW, offset: 16, reg: 0 }, { op: 1, page: RW2, offset: 32, reg: 1 },
    { op: 4, page: REMAP, offset: 8, reg: 2 }, { op: 6, page: RW, offset: 64, reg: 0 },
  ], true));
  const problem = lockstep(a, b, budgetsFrom(9), 30);
  t.equal(problem, null, problem ?? 'identical');
  const s = b.cpu.jit!.stats;
  // Each iteration misses on every access; the push of `call [m]` (an instruction's second
  // access) is the only one that leaves: one slow exit per iteration, not one per miss.
  t.ok(b.cpu.tlbMisses > 600, `walks: ${b.cpu.tlbMisses}`);
  t.ok(s.slowExits < b.cpu.tlbMisses / 3, `slow exits (${s.slowExits}) are far fewer than walks (${b.cpu.tlbMisses})`);
});

t.test('an instruction whose first access refilled leaves at its second: the interpreter walks no more than it would have', async (t) => {
  // call [m]: the load refills slot 0 with RW; the push misses on RW2 (same slot) and is
  // misaligned. Were the push refilled too, RW's entry would be gone when the interpreter
  // reruns the call, and it would walk for RW twice (this check failed with that change).
  for (const ring3 of [false, true]) {
    const [a, b] = pair(setup([{ op: 6, page: RW, offset: 16, reg: 3 }], ring3));
    const problem = lockstep(a, b, budgetsFrom(3), 40);
    t.equal(problem, null, problem ?? `identical, ring ${ring3 ? 3 : 0}`);
    t.ok(b.cpu.jit!.stats.regionInsns > 500, 'the loop ran compiled');
  }
});
