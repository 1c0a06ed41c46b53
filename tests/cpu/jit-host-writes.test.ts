/**
 * Writers of guest RAM outside the vCPU (device DMA, loaders, hypercall responses) report what
 * they change with GuestMemory.written, and compiled code made from those bytes is dropped
 * (docs/jit.md, "Invalidation"). A write that skips the report is caught by the audit.
 */
import t from 'tap';
import { PhysicalDma } from '../../devices/dma/dma.js';
import { JitAuditError, setDefaultJitAudit } from '../../vmm/cpu/jit.js';
import { CODE, Machine } from './harness.js';
import { budgetsFrom, lockstep, pair, type Setup } from './jit-kit.js';

// A hot loop whose first instruction's immediate (the word at CODE + 4) the host rewrites.
const LOOP: Setup = (m) => {
  m.code(`
    mov ebp, 100000
    mov ebx, 0
  top:
    mov eax, 1
    add ebx, eax
    dec ebp
    jne top
    hlt
  `);
};
const IMM = CODE + 0x14; // `mov eax, 1`'s immediate word (after two 8-byte movs and a 4-byte opcode word)

t.test('a DMA write to compiled code drops it: both tiers run the new instruction', async (t) => {
  const [a, b] = pair(LOOP);
  t.equal(a.r32(IMM), 1, 'the immediate is where the test expects it');
  let rewritten = false;
  const problem = lockstep(a, b, budgetsFrom(11), 60, (m, k) => {
    if (k !== 8) return;
    if (m === b) rewritten = b.cpu.jit!.stats.regions > 0;
    new PhysicalDma(m.mem).write32(IMM, 5);
  });
  t.equal(problem, null, problem ?? 'identical');
  t.ok(rewritten, 'the loop was compiled when the device wrote it');
  t.ok(b.cpu.jit!.stats.invalidated > 0, `the region was dropped (${b.cpu.jit!.stats.invalidated})`);
  const iterations = 100000 - a.cpu.regs[5]!;
  t.ok(a.cpu.regs[3]! > iterations, `the new immediate took effect (ebx ${a.cpu.regs[3]} after ${iterations} iterations)`);
});

t.test('an unreported write to compiled code fails the audit instead of running stale code', async (t) => {
  setDefaultJitAudit(true);
  const m = new Machine(1 << 20, 'jit');
  setDefaultJitAudit(false);
  LOOP(m);
  let compiled = false;
  for (let k = 0; k < 40 && !compiled; k++) { m.run(97); compiled = m.cpu.jit!.stats.regions > 0; }
  t.ok(compiled, 'the loop compiled');
  m.mem.ram[IMM] = 5; // no GuestMemory.written
  let thrown: unknown;
  try { for (let k = 0; k < 5; k++) m.run(97); } catch (e) { thrown = e; }
  t.ok(thrown instanceof JitAuditError, `the run failed the audit (${String(thrown)})`);
});
