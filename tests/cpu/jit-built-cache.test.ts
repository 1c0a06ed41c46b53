/**
 * Regions built once per process (jit-modules.ts findBuilt/keepBuilt): a VM that meets code
 * already built, on any physical page holding the same words, reuses it, moved to its page.
 * The move must carry the code lines too, or a store into the reused code would not drop it.
 */
import t from 'tap';
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
