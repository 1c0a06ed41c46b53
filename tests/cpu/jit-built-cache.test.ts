/**
 * Regions built once per process (jit-modules.ts findBuilt/keepBuilt): a VM that meets code
 * already built, on any physical page holding the same words, reuses it, moved to its page.
 * The move must carry the code lines too, or a store into the reused code would not drop it.
 */
import t, { type Test } from 'tap';
import { HOT_THRESHOLD } from '../../vmm/cpu/codegen.js';
import { REUSE_THRESHOLD, WARM_VMS } from '../../vmm/cpu/jit.js';
import { builtCacheStats } from '../../vmm/cpu/jit-modules.js';
import { PTE } from './harness.js';
import { budgetsFrom, lockstep, pair, type Setup } from './jit-kit.js';

// The routine at virtual 0x50000 is physical 0x30000, then (the guest rewrites the PTE, invlpg)
// physical 0x31000: the same bytes, so the second region is the first one moved. Then the guest
// rewrites the routine's immediate through the new mapping.
const ROUTINE = 'mov ecx, 20\nl: add eax, 3\ndec ecx\njne l\nret\n';
const SETUP: Setup = (m) => {
  m.code(`
    mov ebp, 300
  top:
    call 0x50000
    dec ebp
    jne top
    mov ecx, [0x81140]
    xor ecx, 0x1000
    mov [0x81140], ecx
    invlpg [0x50000]
    mov ebp, 300
  top2:
    call 0x50000
    dec ebp
    jne top2
    mov ecx, 7
    mov [0x5000c], ecx  ; add eax, 3 becomes add eax, 7 (the immediate of the second instruction)
    mov ebp, 300
  top3:
    call 0x50000
    dec ebp
    jne top3
    hlt
  `);
  m.code(ROUTINE, 0x50000, 0x30000);
  m.code(ROUTINE, 0x50000, 0x31000);
  const pt = m.paging();
  pt.map(0x50000, 0x30000, PTE.P | PTE.RW);
  if (pt.pteAddr(0x50000) !== 0x81140) throw new Error('page-table layout changed');
};

t.test('a region built on one page is reused on another page with the same words, and a store into it still drops it', async (t) => {
  const [a, b] = pair(SETUP);
  t.equal(a.r32(0x3000c), 3, 'the immediate the guest rewrites is where the test expects it');
  const hits = builtCacheStats.hits;
  const problem = lockstep(a, b, budgetsFrom(5), 80);
  t.equal(problem, null, problem ?? 'identical');
  t.equal(a.cpu.regs[0], (600 * 20 * 3 + 300 * 20 * 7) | 0, 'all three phases ran, the last with the new immediate');
  t.ok(builtCacheStats.hits > hits, `the moved page reused the built region (${builtCacheStats.hits - hits} hits)`);
  t.ok(b.cpu.jit!.stats.invalidated > 0, `the guest's store dropped the reused region (${b.cpu.jit!.stats.invalidated})`);
});

// Code between the two thresholds (Jit.reuseThreshold and Jit.threshold): called 300 times, it
// compiles at once when an earlier VM of the process built its region, and otherwise stays
// interpreted until it is the WARM_VMS-th VM to find it warm. The caller's words are the same in
// every VM (the count is in ebp), so only the routine's words decide.
const CALLER = 'top: call 0x60000\ndec ebp\njne top\nhlt\n';
const routine = (k: number): string => `add eax, ${k}\nret\n`;
/** Runs a pair to the end in lockstep with the default thresholds; returns the compiler's stats. */
function runAtDefaultThresholds(t: Test, calls: number, k: number): { compiled: number; reused: number } {
  const [a, b] = pair((m) => {
    m.code(CALLER);
    m.code(routine(k), 0x60000, 0x60000);
    m.cpu.regs[5] = calls;
  });
  b.cpu.jit!.threshold = HOT_THRESHOLD;
  const hits = builtCacheStats.hits;
  const problem = lockstep(a, b, budgetsFrom(9), 400);
  t.equal(problem, null, problem ?? 'identical');
  t.equal(b.cpu.regs[0], (calls * k) | 0, 'ran to the end');
  return { compiled: b.cpu.jit!.stats.compiled, reused: builtCacheStats.hits - hits };
}

t.test('code an earlier VM compiled compiles at the lower reuse threshold; new code only in the WARM_VMS-th VM', async (t) => {
  t.ok(REUSE_THRESHOLD < 300 && 300 < HOT_THRESHOLD && WARM_VMS === 3, 'the calls fall between the thresholds');
  const first = runAtDefaultThresholds(t, 1500, 5);
  t.ok(first.compiled >= 2 && first.reused === 0, `called 1,500 times, caller and routine compile (${first.compiled} regions)`);
  const warm = runAtDefaultThresholds(t, 300, 5);
  t.ok(warm.compiled >= 2 && warm.compiled === warm.reused, `called 300 times after that, both compile from the built regions (${warm.compiled} regions, ${warm.reused} reused)`);
  const cold = runAtDefaultThresholds(t, 300, 9);
  t.ok(cold.compiled >= 1 && cold.compiled === cold.reused, `a routine with other words, called 300 times, stays interpreted (${cold.compiled} regions, all reused)`);
  const third = runAtDefaultThresholds(t, 300, 9);
  t.ok(third.compiled > third.reused, `in the third VM to find it warm it is built (${third.compiled} regions, ${third.reused} reused)`);
});
