/**
 * Instructions in the last 12 bytes of a page (docs/jit.md, "Page ends"): the interpreter
 * fetches them word by word, translating each word (they may straddle into the next page), and
 * then has no cached code page. Compiled code runs them only while the current ring's TLB gives
 * the frames it was compiled from, and leaves after them as if no page were cached.
 *
 * A routine laid across a page boundary at a random offset (so that any of its instructions may
 * sit at the page end or straddle), called from a loop that, between calls, evicts either code
 * page's TLB entry, remaps the second page to another frame (with and without invlpg), makes it
 * absent or supervisor-only (the fetch faults; the handler maps it back and retries), rewrites
 * an immediate of the routine, writes next to it, and moves the stack onto a page that shares a
 * code page's TLB slot (a `call` at the page end then evicts its own page). Between runs the
 * host remaps the second page (no flush) and rewrites an immediate. Paging off, ring 0 and
 * ring 3; both tiers in lockstep at random budgets.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { decodeAt } from '../../vmm/isa/encoding.js';
import { CODE, KSTACK, PTE, asm, type Machine } from './harness.js';
import { budgetsFrom, lockstep, pair, type Setup } from './jit-kit.js';

const MODES = [
  { name: 'paging off', paging: false, ring3: false },
  { name: 'ring 0, paging on', paging: true, ring3: false },
  { name: 'ring 3, paging on', paging: true, ring3: true },
] as const;

/** Frames: the first code page, the second code page's two versions, the data pages. */
const F1 = 0x50000, FA = 0x51000, FB = 0x52000, FD0 = 0x54000, FD1 = 0x55000, FDN = 0x56000;
/** Where the handler counts faults and interrupts (physical = virtual). */
const COUNTER = 0x57000;
const HANDLER = 0xf000;
const CODE_FLAGS = PTE.P | PTE.RW | PTE.US;

/** Virtual layout: paging on, the code pages use TLB slots 0 and 1, and so do D0 and D1. */
function layout(paging: boolean): { v1: number; d0: number; d1: number; dn: number } {
  return paging
    ? { v1: 0x200000, d0: 0x400000, d1: 0x401000, dn: 0x402000 }
    : { v1: F1, d0: FD0, d1: FD1, dn: FDN };
}

interface Shape {
  /** Bytes of the routine before the page boundary (its start is v1 + 4096 - before). */
  before: number;
  body1: number[];
  body2: number[];
  ops: { kind: number; arg: number }[];
  stack: number;
}

/** A straight-line instruction of the routine (eax, ebx, edx scratch; ecx the inner count). */
function insn(k: number, n: number, d: { d0: number; d1: number; dn: number }): string {
  const data = [d.d0, d.d1, d.dn][n % 3]!;
  switch (k % 10) {
    case 0: return 'add eax, ecx';
    case 1: return `add eax, ${0x1000 + n}`;
    case 2: return `cmp eax, [${data + 8}]\nadc ebx, eax`;
    case 3: return `mov [${data + 12}], eax`;
    case 4: return `mov [${data + 16}], ${n * 7}`;
    case 5: return 'push eax\npop edx\nxor ebx, edx';
    case 6: return 'call helper';
    case 7: return `jmp j${n}\nj${n}:`;
    case 8: return `xor ebx, [${data + 4}]`;
    default: return 'rol eax, 3';
  }
}

const shape = fc.record({
  before: fc.integer({ min: 1, max: 14 }).map((w) => 4 * w),
  body1: fc.array(fc.nat(9), { minLength: 1, maxLength: 3 }),
  body2: fc.array(fc.nat(9), { minLength: 1, maxLength: 3 }),
  ops: fc.array(fc.record({ kind: fc.nat(9), arg: fc.nat(1000) }), { minLength: 1, maxLength: 5 }),
  stack: fc.nat(2),
});

interface Program { setup: Setup; imms: number[]; v1: number }

function program(s: Shape, mode: (typeof MODES)[number]): Program {
  const d = layout(mode.paging);
  const v1 = d.v1, v2 = v1 + 0x1000, start = v1 + 0x1000 - s.before;
  let n = 0;
  const routineSrc = [
    'mov ecx, 2',
    'inner:',
    ...s.body1.map((k) => insn(k, n++, d)),
    'dec ecx',
    'jne inner',
    ...s.body2.map((k) => insn(k, n++, d)),
    'ret',
    'helper:',
    'add eax, 5',
    'ret',
  ].join('\n');
  const routine = asm(routineSrc, start);
  // Virtual addresses of the routine's immediates (the words a self-modifying store rewrites).
  // (Not the inner loop's count, the first instruction: the loop must end.)
  const imms: number[] = [];
  for (let off = 8; off < routine.length;) {
    const r = decodeAt(routine, off);
    if (!r.ok) throw new Error(`the routine does not decode at +${off}`);
    if (r.insn.def.operands.includes('i')) imms.push(start + off + (r.insn.def.operands.includes('m') ? 8 : 4));
    off += r.length;
  }
  const stackTop = [0x7f000, d.d0 + 0x800, d.d1 + 0x800][s.stack]!;
  return {
    v1, imms,
    setup: (m: Machine) => {
      const pt = mode.paging ? m.paging() : undefined;
      const pteV2 = pt ? pt.pteAddr(v2, true) : 0;
      if (pt) {
        pt.map(v1, F1, CODE_FLAGS);
        pt.map(v2, FA, CODE_FLAGS);
        pt.map(d.d0, FD0, PTE.P | PTE.RW | PTE.US);
        pt.map(d.d1, FD1, PTE.P | PTE.RW | PTE.US);
        pt.map(d.dn, FDN, PTE.P | PTE.RW | PTE.US);
      }
      // The routine: its first page in F1, the rest in FA and (immediates changed) in FB.
      const split = s.before;
      m.load(F1 + 0x1000 - split, routine.subarray(0, split));
      m.load(FA, routine.subarray(split));
      m.load(FB, routine.subarray(split));
      for (const va of imms) if (va >= v2) m.w32(FB + (va - v2), m.r32(FA + (va - v2)) ^ 0x5eed);
      // Faults and interrupts: count, map the second page back (present, user), retry.
      m.code(`
          push eax
          mov eax, [${COUNTER}]
          add eax, 1
          mov [${COUNTER}], eax
          ${pt ? `mov eax, [${pteV2}]\nor eax, ${PTE.P | PTE.US}\nmov [${pteV2}], eax` : ''}
          pop eax
          add esp, 4
          iret
        `, HANDLER);
      for (let v = 0; v < 256; v++) m.gate(v, HANDLER, { dpl: 3 });
      m.setIdtr();
      m.cpu.ksp = KSTACK;
      const ops = s.ops.map(({ kind, arg }, k) => op(kind, arg, k)).join('\n');
      m.code(`
        top:
          mov esp, ${stackTop}
          ${ops}
          call ${start}
          jmp top
        `, CODE);
      m.setEflags(0x200);
      if (mode.ring3) m.cpu.setPrivilege(3);

      function op(kind: number, arg: number, k: number): string {
        // Ring 3 cannot invlpg: it evicts through a load from the colliding data page instead.
        const evict2 = mode.ring3 || arg % 3 === 0 ? `mov edx, [${d.d1}]` : arg % 3 === 1 ? `invlpg [${v2}]` : '';
        const pte = (change: string): string =>
          pt ? `mov edx, [${pteV2}]\n${change}\nmov [${pteV2}], edx\n${evict2}` : `mov edx, [${d.dn}]`;
        switch (kind) {
          case 0: return `mov edx, [${d.d0}]`; // the first code page's TLB entry goes
          case 1: return `mov edx, [${d.d1}]`; // the second's
          case 2: return pte(`xor edx, ${FA ^ FB}`); // the second page to the other frame
          case 3: return pte('and edx, -2'); // absent: the fetch faults
          case 4: return pte(`and edx, ${~PTE.US}`); // supervisor-only: faults at ring 3
          case 5: case 6: return imms.length > 0 ? `mov [${imms[arg % imms.length]!}], ${arg + k}` : '';
          case 7: return `mov [${start - 4}], ${arg}`; // beside the code, not in it
          default: return `add ebx, ${arg}`;
        }
      }
    },
  };
}

for (const mode of MODES) {
  t.test(`instructions at page ends and straddling pages, ${mode.name}: interp and jit agree`, async (t) => {
    let retired = 0, inRegions = 0, faults = 0, invalidated = 0;
    fc.assert(fc.property(shape, fc.nat(), (s, bseed) => {
      const p = program(s, mode);
      const [a, b] = pair(p.setup);
      const problem = lockstep(a, b, budgetsFrom(bseed), 40, (m, k) => {
        // The host remaps the second page (no TLB flush: the stale entry stays in both tiers)
        // and rewrites an immediate in whichever frame holds it now.
        const pt = m.pt;
        if (pt && k % 5 === 2) pt.setPte(p.v1 + 0x1000, pt.pte(p.v1 + 0x1000) ^ (FA ^ FB));
        if (k % 7 === 3 && p.imms.length > 0) {
          const pa = m.phys(p.imms[k % p.imms.length]!);
          if (pa !== undefined) m.w32(pa, k);
        }
      });
      if (problem) throw new Error(problem);
      const st = b.cpu.jit!.report();
      if (st.compileErrors !== 0) throw new Error('V8 refused a compiled module');
      retired += b.cpu.retired; inRegions += st.regionInsns; invalidated += st.invalidated;
      faults += a.r32(COUNTER);
    }), { numRuns: 20, seed: 2200 + MODES.indexOf(mode) }); // fixed: the totals below are pinned
    t.ok(inRegions > retired / 3, `mostly compiled (${inRegions} of ${retired} instructions)`);
    t.ok(faults > 0, `faults and interrupts were delivered (${faults})`);
    t.ok(invalidated > 0, `regions were invalidated (${invalidated})`);
  });
}

/**
 * A loop laid out from `before` bytes before virtual 0x201000 (frames F1 and FA), at ring 0 or 3;
 * faults and interrupts go to the counting handler, which maps the second page back. Loops end
 * in an exit. Virtual 0x400000 + k * 0x1000 uses TLB slot k: 0 is the first code page's, 1 the
 * second's.
 */
/** A pair set up by `setup`, run in lockstep for 60 random budgets from `seed`, checked to agree. */
function agree(t: Test, setup: Setup, seed: number, label: string): [Machine, Machine] {
  const [a, b] = pair(setup);
  const problem = lockstep(a, b, budgetsFrom(seed), 60);
  t.equal(problem, null, problem ?? label);
  return [a, b];
}

function directed(src: string, before: number, stack: number, ring3: boolean): Setup {
  return (m) => {
    const pt = m.paging();
    pt.map(0x200000, F1, CODE_FLAGS);
    pt.map(0x201000, FA, CODE_FLAGS);
    pt.map(0x400000, FD0, CODE_FLAGS);
    pt.map(0x401000, FD1, CODE_FLAGS);
    for (let k = 2; k < 16; k++) pt.map(0x400000 + k * 0x1000, FDN, CODE_FLAGS); // TLB slots 2-15
    const bytes = asm(src, 0x201000 - before);
    m.load(F1 + 0x1000 - before, bytes.subarray(0, before));
    m.load(FA, bytes.subarray(before));
    m.load(FB, bytes.subarray(before));
    const pte2 = pt.pteAddr(0x201000);
    m.code(`
        push eax
        mov eax, [${COUNTER}]
        add eax, 1
        mov [${COUNTER}], eax
        mov eax, [${pte2}]
        or eax, ${PTE.P}
        mov [${pte2}], eax
        pop eax
        add esp, 4
        iret
      `, HANDLER);
    for (let v = 0; v < 256; v++) m.gate(v, HANDLER, { dpl: 3 });
    m.setIdtr();
    m.cpu.eip = 0x201000 - before;
    m.cpu.regs[4] = stack;
    m.cpu.ksp = KSTACK;
    m.setEflags(0x200); // lockstep() injects interrupts
    if (ring3) m.cpu.setPrivilege(3);
  };
}

/**
 * A hot loop whose `cmp eax, [m]` straddles two pages (cpubench's case): it runs compiled, with
 * no slow exit per iteration. The same loop with its second page remapped every 16 iterations
 * to a frame where the `cmp` reads another address, and made absent every 64th time: the
 * straddling instruction runs the bytes of the frame the TLB gives, and faults where the
 * interpreter's fetch faults. A `call` at the page end whose push evicts its own page's TLB
 * entry: the call's target on the same page is translated again, as the interpreter's fetch does.
 */
t.test('a loop through a straddling instruction stays compiled', async (t) => {
  const loop = `
      mov ecx, 3000
    l:
      add eax, ecx
      cmp eax, [0x402008]
      adc ebx, eax
      dec ecx
      jne l
    done:
      vmcall
      jmp done
    `;
  for (const ring3 of [false, true]) {
    // mov ecx (8 bytes) at 0x200ff0, add (4) at 0x200ff8: cmp [m] (8) at 0x200ffc straddles
    const [a, b] = agree(t, directed(loop, 16, 0x7f000, ring3), 5, `identical, ring ${ring3 ? 3 : 0}`);
    const st = b.cpu.jit!.stats;
    t.ok(st.regionInsns > 14000, `the loop ran compiled (${st.regionInsns} instructions)`);
    t.ok(st.slowExits < 100, `no slow exit per iteration (${st.slowExits} in 3,000 iterations)`);
  }
});

t.test('a loop running on into the next page, evicting either code page every eighth iteration', async (t) => {
  // The block at l runs on into the next page: through a straddling cmp, or after a 12-byte
  // store that ends at the page end (no page-end instruction, so nothing translates the first
  // page again on the way). On the next page, every eighth iteration a load evicts the first
  // code page: the branch back must find it in the TLB, else the interpreter walks; four
  // iterations later, another evicts the second (its first instruction's fetch walks). Back to
  // l by `jne l` (a block of the region), or by `jmp edx` (through the entry cache).
  // (pages 0x400000 + 2k * 0x1000 use TLB slot 2k, 0x401000 + 2k * 0x1000 slot 2k + 1)
  const evict = 'mov edx, ecx\nand edx, 7\nshl edx, 13\nmov edx, [edx + 0x400000]\n' +
    'mov edx, ecx\nadd edx, 4\nand edx, 7\nshl edx, 13\nmov edx, [edx + 0x401000]';
  // At l, the iteration after the first page's eviction loads from 0x400000 (its TLB slot), the
  // others from pages of even slots: had compiled code skipped the walk for l's page, that load
  // would hit where the interpreter walks.
  const touch = 'mov edx, ecx\nadd edx, 1\nand edx, 7\nshl edx, 13\nmov esi, [edx + 0x400000]';
  const head = {
    straddling: `mov ecx, 3000\nl:\n${touch}\nrol eax, 1\nadd eax, ecx\ncmp eax, [0x402008]\nadc ebx, eax`,
    'ending at the page end': `mov ecx, 3000\nl:\n${touch}\nrol eax, 1\nmov [0x402010], 5\nadd eax, ecx`,
  };
  // l at 0x200fd4 (rol at 0x200ff4, add at the page end, cmp straddling) or at 0x200fd0 (the
  // 12-byte store at 0x200ff4 ending at the page end)
  const before = { straddling: 52, 'ending at the page end': 56 };
  // (`jmp edx` loops for ever: a branch on the next page would end the block before it)
  const back = { 'jne l': 'dec ecx\njne l', 'jmp edx': 'dec ecx\nmov edx, l\njmp edx' };
  for (const ring3 of [false, true]) {
    for (const [layout, h] of Object.entries(head)) {
      for (const [how, tail] of Object.entries(back)) {
        const loop = `${h}\n${evict}\n${tail}\ndone:\nvmcall\njmp done\n`;
        const setup = directed(loop, before[layout as keyof typeof before], 0x7f000, ring3);
        const [a, b] = agree(t, setup, 11, `${layout}, ${how}, ring ${ring3 ? 3 : 0}: identical`);
        t.ok(a.cpu.tlbMisses > 700, `both pages walked again every eighth iteration (${a.cpu.tlbMisses} misses)`);
        t.ok(b.cpu.jit!.stats.regionInsns > 15000, `compiled code ran (${b.cpu.jit!.stats.regionInsns} of ${b.cpu.retired})`);
      }
    }
  }
});

t.test('the second page of a straddling instruction remapped and made absent', async (t) => {
  for (const ring3 of [false, true]) {
    const pte2 = 0x81000 + (0x201 & 0x3ff) * 4; // the PTE of 0x201000 (checked below)
    const loop = `
        mov ecx, 3000
      l:
        add eax, ecx
        cmp eax, [0x402008]
        adc ebx, eax
        test ecx, 15
        jne skip
        mov edx, [${pte2}]
        xor edx, ${FA ^ FB}
        test ecx, 63
        jne keep
        and edx, -2
      keep:
        mov [${pte2}], edx
        ${ring3 ? 'mov edx, [0x401000]' : 'invlpg [0x201000]'}
      skip:
        dec ecx
        jne l
      done:
        vmcall
        jmp done
      `;
    const [a, b] = agree(t, (m) => {
      directed(loop, 16, 0x7f000, ring3)(m);
      if (m.pt!.pteAddr(0x201000) !== pte2) throw new Error('page-table layout changed');
      m.w32(FB, 0x402010); // in FB, the cmp reads another dword
      m.w32(FDN + 8, 0x7fffffff); m.w32(FDN + 16, 5);
    }, 7, `identical, ring ${ring3 ? 3 : 0}`);
    t.ok(b.cpu.jit!.stats.regionInsns > 10000, `compiled code ran (${b.cpu.jit!.stats.regionInsns} of ${b.cpu.retired})`);
    t.ok(a.r32(COUNTER) >= 40, `the fetch faulted every 64th iteration (${a.r32(COUNTER)} faults)`);
  }
});

t.test('a call at the page end evicting its own page', async (t) => {
  // `call f` 8 or 4 bytes before the page end (inside it, or straddling), f on the same page:
  // the push goes to 0x400800, TLB slot 0 like the code page, so the interpreter, which caches
  // no page after the call, walks for f's page again. f is also a block of the call's region
  // (the `je f` never taken) and has a region of its own, entered from the second call site
  // (its stack elsewhere, the TLB hit), so neither a branch inside the region nor a chain through
  // the entry cache may skip that walk. f returns without reading the stack (jmp edx).
  const call = `
      jmp start
    f:
      rol eax, 1
      add esp, 4
      jmp edx
    start:
      mov ecx, 500
    l:
      add eax, ecx
      test ecx, ecx
      je f
      mov edx, back
      call f
    back:
      mov esp, 0x7f800
      mov edx, back2
      call f
    back2:
      mov esp, 0x400800
      dec ecx
      jne l
    done:
      vmcall
      jmp done
    `;
  for (const ring3 of [false, true]) {
    for (const before of [64, 60]) {
      const [a, b] = agree(t, directed(call, before, 0x400800, ring3), 6, `call at -${before - 56}, ring ${ring3 ? 3 : 0}: identical`);
      t.ok(a.cpu.tlbMisses >= 1000, `two walks per iteration, the stack page and the code page again (${a.cpu.tlbMisses} misses)`);
      t.ok(b.cpu.jit!.stats.regionInsns > 3000, `compiled code ran, the call included (${b.cpu.jit!.stats.regionInsns} of ${b.cpu.retired})`);
    }
  }
});

/**
 * Paging off, a region spans its page and the next (jit-region.ts discover): a loop through a
 * branch at the page end (the engine module's memcmp had one) stays in one region instead of
 * chaining twice per iteration. Halfway, the loop rewrites an immediate on the second page: the
 * region made from both pages is dropped and rebuilt, and the new value is used at once.
 */
t.test('paging off: a loop across a page boundary stays in one region, and a write to its second page drops it', async (t) => {
  const start = CODE + 0xfe0; // l at +0xfe8: the jne at +0xff8 is in the page's last 12 bytes
  const loop = `
      mov ecx, 3000
    l:
      add eax, ecx
      xor ebx, eax
      test ecx, 1
      jne odd
    patch:
      add edx, 3
    odd:
      rol eax, 1
      cmp ecx, 1500
      jne same
      mov [patch + 4], 5
    same:
      dec ecx
      jne l
    done:
      vmcall
      jmp done
    `;
  const [a, b] = agree(t, (m) => { m.code(loop, start); m.cpu.eip = start; }, 17, 'identical');
  const st = b.cpu.jit!.report();
  t.equal(a.cpu.regs[2], 751 * 3 + 749 * 5, 'the rewritten immediate took effect from ecx = 1498 on');
  t.ok(st.regionInsns > 20000, `the loop ran compiled (${st.regionInsns} of ${b.cpu.retired} instructions)`);
  t.ok(st.chains < 200, `without chaining per iteration (${st.chains} chains in 3,000 iterations)`);
  t.ok(st.invalidated >= 1, `the write to the second page dropped the region (${st.invalidated})`);
});
