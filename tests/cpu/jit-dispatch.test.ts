/**
 * Where compiled code resumes after the dispatcher (docs/jit.md, "Hotness and regions" and
 * "Exactness"): code no branch reaches, right after an exit, compiles once hot; a fetch TLB
 * miss is refilled by the dispatcher instead of sending the interpreter on; the firmware's
 * loops in ROM stop the interpreter once, not once per iteration. Each guest runs in lockstep
 * with the interpreter, and each count below fails with the dispatcher as it was before.
 */
import t from 'tap';
import { HOT_MASK } from '../../vmm/cpu/codegen.js';
import { asm } from './harness.js';
import { budgetsFrom, lockstep, pair } from './jit-kit.js';

const ITERATIONS = 2000;

/** Instructions the compiler's twin left to the interpreter. */
const interpreted = (m: { cpu: { retired: number; jit: { stats: { regionInsns: number } } | null } }): number =>
  m.cpu.retired - m.cpu.jit!.stats.regionInsns;

t.test('the code after an MMIO store, which no branch reaches, compiles', async (t) => {
  const body = Array.from({ length: 16 }, (_, k) => `add ebx, ${k + 1}\nrol ebx, 3`).join('\n');
  const [a, b] = pair((m) => {
    m.code(`
      mov ebp, ${ITERATIONS}
      mov ecx, 0xfe000000
    top:
      mov [ecx], eax
      ${body}
      dec ebp
      jne top
      hlt
    `);
  });
  // Random budgets first (a run that ends within a few instructions leaves them to the
  // interpreter), then budgets that always reach the next exit, one iteration per run.
  t.equal(lockstep(a, b, budgetsFrom(19), 200), null, 'identical at random budgets');
  const [left, before] = [b.cpu.regs[5]!, interpreted(b)];
  t.equal(lockstep(a, b, () => 1000, 2 * ITERATIONS), null, 'identical to the end');
  t.equal(b.cpu.regs[5], 0, 'the loop ran to the end');
  // Each iteration's store runs in the interpreter (its exit, then its replay); before, so did
  // the 34 instructions after it, up to the hot branch target.
  const n = interpreted(b) - before;
  t.ok(n < 1.5 * left, `the instructions after the exit ran compiled (${n} interpreted in ${left} iterations)`);
});

t.test('a call whose target page was evicted from the TLB: the dispatcher refills and enters the region', async (t) => {
  // Virtual 0x420000 takes the TLB slot of the callee's page 0x20000 (slot 0x20).
  const callee = Array.from({ length: 12 }, (_, k) => `xor ebx, ${k + 3}\nadd ebx, eax`).join('\n');
  const [a, b] = pair((m) => {
    m.code(`
      mov ebp, ${ITERATIONS}
    top:
      mov eax, [0x420000]
      add eax, ebp
      call 0x20000
      dec ebp
      jne top
      hlt
    `);
    m.code(`${callee}\nret\n`, 0x20000);
    const pt = m.paging();
    pt.map(0x420000, 0x60000, 0x7);
    m.w32(0x60000, 5);
  });
  const problem = lockstep(a, b, budgetsFrom(23), 80);
  t.equal(problem, null, problem ?? 'identical');
  t.ok(a.cpu.tlbMisses > ITERATIONS, `the callee's page missed in the TLB every iteration (${a.cpu.tlbMisses} misses)`);
  const n = interpreted(b);
  t.ok(n < ITERATIONS, `the callee ran compiled (${n} instructions interpreted in ${ITERATIONS} iterations)`);
});

t.test('a hot loop in ROM stops the interpreter once, not once per iteration', async (t) => {
  // ROM is never compiled: the dispatcher marks the loop's address so that the interpreter
  // stops counting it (before, it stopped after every backward branch, for nothing).
  const rom = 0xffff0100;
  const [a, b] = pair((m) => {
    m.mem.rom.set(asm(`
      mov ecx, ${ITERATIONS}
    l:
      add eax, ecx
      dec ecx
      jne l
      hlt
    `, rom), rom - m.mem.romBase);
    m.cpu.eip = rom;
  });
  t.equal(lockstep(a, b, () => 100_000, 2), null, 'identical');
  t.equal(a.cpu.regs[0], (ITERATIONS * (ITERATIONS + 1)) / 2, 'the loop ran');
  const hot = b.cpu.jit!.hot[((rom + 8) >>> 2) & HOT_MASK]!;
  t.ok(hot < 0, `the loop's address no longer counts as hot (${hot})`);
});
