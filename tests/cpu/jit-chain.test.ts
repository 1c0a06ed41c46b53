/**
 * Region chaining (docs/jit.md, "Chaining"): a region leaving for another region's entry
 * tail-calls it through the shared table when the entry cache has it, instead of returning to
 * the dispatcher. Each mechanism is checked in lockstep against the interpreter (jit-kit.ts):
 * calls and returns across pages (direct and through a register), budgets running out in the
 * middle of a chain, self-modifying code and host writes hitting a region others chain to,
 * eviction of chained regions, and remapping the page a chain enters, including the case where
 * the interpreter keeps fetching from its cached page after the TLB entry was evicted.
 */
import t from 'tap';
import fc from 'fast-check';
import { CODE, DATA, PTE, type Machine } from './harness.js';
import { budgetsFrom, lockstep, pair, type Setup } from './jit-kit.js';

/** Straight-line instructions a routine may use (eax..edx scratch, esi the data base, ebp flag accumulator). */
const TEMPLATES: ((r: () => number) => string)[] = [
  () => 'add eax, ecx',
  (r) => `xor eax, ${r() & 0xffff}`,
  () => 'imul eax, 3',
  (r) => `rol eax, ${1 + (r() % 31)}`,
  () => 'sub ebx, eax',
  (r) => `mov [esi + ${4 * (r() % 64)}], eax`,
  (r) => `add eax, [esi + ${4 * (r() % 64)}]`,
  () => 'inc ebx',
  () => 'adc eax, ebx',
  () => 'cmp eax, ebx\nsetl edx\nadd ebp, edx',
  () => 'push eax\npop edx\nxor ebx, edx',
];

const MODES = [
  { name: 'paging off', paging: false, ring3: false },
  { name: 'ring 0, paging on', paging: true, ring3: false },
  { name: 'ring 3, paging on', paging: true, ring3: true },
] as const;

/**
 * A main loop on one page calling routines on four other pages. Routine k starts at the start,
 * the middle or the last 192 bytes of its page (so its code may run on into the next page), begins
 * with `mov ecx, K` (the word at +4 is the immediate that self-modifying code rewrites), and may
 * call a later routine directly or through a register, or return early.
 */
function program(seed: number[], smc: boolean): { setup: Setup; at: number[] } {
  let i = 0;
  const r = (): number => ((seed[i++ % seed.length]! ^ Math.imul(i, 0x9e3779b1)) >>> 0);
  const at = [0, 1, 2, 3].map((k) => 0x20000 + k * 0x2000 + [0, 0x800, 0xf40][r() % 3]!);
  const routines = at.map((va, k) => {
    const lines = [`mov ecx, ${1 + (r() & 255)}`, 'add eax, ecx'];
    const n = 2 + (r() % 8);
    for (let j = 0; j < n; j++) lines.push(TEMPLATES[r() % TEMPLATES.length]!(r));
    if (k < 3 && r() % 2 === 0) {
      const callee = at[k + 1 + (r() % (3 - k))]!;
      lines.push(r() % 2 === 0 ? `call ${callee}` : `mov edx, ${callee}\ncall edx`);
    }
    if (r() % 3 === 0) lines.push('cmp eax, ebx', 'jl early', 'add ebx, 7', 'early:');
    lines.push('ret');
    return { va, src: lines.join('\n') + '\n' };
  });
  const calls: string[] = [];
  for (let j = 0; j < 2 + (r() % 4); j++) {
    const callee = at[r() % 4]!;
    calls.push(r() % 3 === 0 ? `mov edx, ${callee}\ncall edx` : `call ${callee}`);
  }
  // The self-modifying store rewrites the immediate of another routine's first instruction.
  const patch = smc ? `mov ebx, edi\nand ebx, 7\nmov [${at[r() % 4]! + 4}], ebx\n` : '';
  const main = `mov edi, 400\nmov esi, ${DATA}\ntop:\n${calls.join('\n')}\n${patch}dec edi\njne top\nhlt\n`;
  const setup: Setup = (m) => {
    m.code(main, CODE);
    for (const x of routines) m.code(x.src, x.va);
  };
  return { setup, at };
}

for (const mode of MODES) {
  t.test(`calls and returns across pages chain, ${mode.name}: interp and jit agree at random budgets`, async (t) => {
    let chains = 0, entries = 0, invalidated = 0, evicted = 0;
    fc.assert(fc.property(
      fc.array(fc.nat(), { minLength: 8, maxLength: 32 }),
      fc.boolean(), fc.boolean(), fc.nat(),
      (seed, smc, smallCache, bseed) => {
        const { setup, at } = program(seed, smc);
        const [a, b] = pair((m: Machine) => {
          setup(m);
          m.installTraps({ dpl: 3 });
          if (mode.paging) m.paging();
          m.setEflags(0x200);
          if (mode.ring3) m.cpu.setPrivilege(3);
        });
        if (smallCache) b.cpu.jit!.limitBytes = 3000;
        const problem = lockstep(a, b, budgetsFrom(bseed), 50, (m, k) => {
          // Host writes (DMA, no notification) into the first routine's immediate.
          if (k % 7 === 3) m.w32(at[0]! + 4, k);
        });
        if (problem) throw new Error(problem);
        const s = b.cpu.jit!.report();
        if (s.compileErrors !== 0) throw new Error('V8 refused a compiled module');
        chains += s.chains; entries += s.entries; invalidated += s.invalidated; evicted += s.evicted;
      }), { numRuns: 25, seed: 1300 + MODES.indexOf(mode) }); // fixed: the totals below are pinned
    t.ok(chains > 100, `regions chained (${chains} chained entries, ${entries} from the dispatcher)`);
    t.ok(invalidated > 0, `regions were invalidated (${invalidated})`);
    t.ok(evicted > 0, `regions were evicted (${evicted})`);
  });
}

t.test('a page a chain enters is remapped without invlpg: the cached code page and the TLB rules hold', async (t) => {
  // Every 16th call, the routine at virtual 0x50000 (physical 0x30000, version A) rewrites its
  // own PTE to point at 0x31000 (version B) without invlpg, then loads from 0x150000, whose TLB
  // slot is the routine's, evicting its translation. The interpreter keeps fetching the rest of
  // the routine from its cached page until it leaves the page; the next call walks and runs the
  // other version. In between, calls hit the TLB and chain.
  const routine = (step: number, tail: number): string => `
      mov ecx, 10
    l: add eax, ${step}
      call helper
      dec ecx
      jne l
      test ebp, 15
      jne cont
      mov edx, [0x81140]
      xor edx, 0x1000
      mov [0x81140], edx
      mov edx, [0x150000]
      jmp cont
    helper:
      rol eax, 3
      ret
    cont:
      add eax, ${tail}
      ret
  `;
  const [a, b] = pair((m) => {
    m.code(`
        mov ebp, 300
      top:
        call 0x50000
        dec ebp
        jne top
        hlt
      `);
    m.code(routine(3, 1), 0x50000, 0x30000);
    m.code(routine(5, 2), 0x50000, 0x31000);
    const pt = m.paging();
    pt.map(0x50000, 0x30000, PTE.P | PTE.RW);
    pt.map(0x150000, 0x40000, PTE.P | PTE.RW);
    if (pt.pteAddr(0x50000) !== 0x81140) throw new Error('page-table layout changed');
    if (((0x150000 >>> 12) & 255) !== ((0x50000 >>> 12) & 255)) throw new Error('not the same TLB slot');
  });
  const problem = lockstep(a, b, budgetsFrom(13), 80);
  t.equal(problem, null, problem ?? 'identical');
  t.ok(b.cpu.jit!.report().chains > 0, `regions chained (${b.cpu.jit!.report().chains})`);
  t.ok(b.cpu.jit!.stats.compiled >= 3, `both versions compiled (${b.cpu.jit!.stats.compiled} regions)`);
});

t.test('a budget of one instruction at a time through a chain', async (t) => {
  // Every budget smaller than a block: regions leave at block entry, chains never start, and the
  // interpreter does all the work; then large budgets let the chains run. Both must agree.
  const [a, b] = pair((m) => {
    m.code('mov ebp, 400\ntop:\ncall 0x21000\ncall 0x22ff0\ndec ebp\njne top\nhlt\n');
    m.code('add eax, ebp\nrol eax, 7\nret\n', 0x21000);
    m.code('xor eax, 0x1234\nimul eax, 5\nadd ebx, eax\nret\n', 0x22ff0); // crosses into the next page
  });
  let k = 0;
  const problem = lockstep(a, b, () => (k++ < 300 ? 1 + (k % 3) : 997), 400);
  t.equal(problem, null, problem ?? 'identical');
  t.ok(b.cpu.jit!.report().chains > 0, `regions chained (${b.cpu.jit!.report().chains})`);
});

t.test('after a chain, the interpreter\'s cached code page is the page of the last instruction retired', async (t) => {
  // The loop's page (0x10000) and the data page 0x110000 share a TLB slot: the load (a slow exit
  // to the interpreter) evicts the code page's translation, which the interpreter does not need
  // while it stays on its cached page; at `next` the region is entered again (cached page, no
  // translation) and the call chains to 0x21000. The return to the loop's page must translate it
  // again (a TLB miss and a walk, as the interpreter does on coming back from another page).
  const [a, b] = pair((m) => {
    m.code('mov ebp, 300\ntop:\nmov edx, [0x110000]\njmp next\nnext:\ncall 0x21000\ndec ebp\njne top\nhlt\n');
    m.code('add eax, edx\nrol eax, 3\nret\n', 0x21000);
    m.paging().map(0x110000, 0x40000, PTE.P | PTE.RW);
    m.w32(0x40000, 0x1234567);
  });
  const problem = lockstep(a, b, budgetsFrom(17), 60);
  t.equal(problem, null, problem ?? 'identical');
  t.ok(a.cpu.tlbMisses > 300, `the code page was walked again after each return (${a.cpu.tlbMisses} TLB misses)`);
  t.ok(b.cpu.jit!.report().chains > 0, `regions chained (${b.cpu.jit!.report().chains})`);
});
