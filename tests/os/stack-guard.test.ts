/**
 * The kernel's per-process stacks sit below unmapped guard pages (docs/guest-os.md, "Memory";
 * issue 15, item 11). A kernel built with -DKSTACK_SELFTEST recurses on the calling process's
 * kernel stack on request: a shallow recursion returns, an overflow stops the machine with a
 * crash report naming the stack overflow and the function, where a heap-allocated stack used to
 * overwrite whatever the heap held next to it.
 */
import t from 'tap';
import { bootOs, buildTestProgram } from '../../testing/os.js';

const defines = ['KSTACK_SELFTEST'];
const kstack = buildTestProgram('tests/os/programs/kstack');
const boot = (cmdline: string) => bootOs({ programs: ['init', 'hello'], extraPrograms: { kstack }, cmdline, defines });

t.test('a kernel stack that stays inside its 8 KiB is untouched by the guard', async (t) => {
  // Twenty frames of ~256 bytes, about 5 KiB on top of the trapframe and syscall frames;
  // each frame adds its depth (as a byte): 20 + 19 + ... + 0 = 210.
  const r = boot('run=kstack:20,kstack:20,hello');
  t.equal(r.console.match(/^kstack: 20 frames returned 210$/gm)?.length, 2, 'two processes, each its own stack');
  t.match(r.console, /^init: hello exited with status 0$/m);
  t.equal(r.stop, 'poweroff');
});

t.test('overflowing a kernel stack stops the machine with a stack-overflow report', async (t) => {
  const r = boot('run=kstack:64,hello');
  t.equal(r.stop, 'shutdown');
  t.match(r.message, /^guest shut down: triple fault: stack overflow \(esp 0xc00[0-9a-f]{5} is below the stack, in unmapped memory\) at 0x[0-9a-f]+ \(kstack_recurse\+0x[0-9a-f]+\)$/);
  t.notMatch(r.console, /kstack: 64 frames returned/, 'the call never returned');
  t.notMatch(r.console, /init: hello exited/, 'nothing ran on after the overflow');
});
