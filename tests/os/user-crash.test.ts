/**
 * crash (guest-os/user/crash): each way of misbehaving gets the program killed with the
 * kernel's one-line message and a wait status of 128 + the vector, while the kernel and the
 * other programs carry on.
 */
import t from 'tap';
import { bootOs } from '../../testing/os.js';

const kinds: [string, number, RegExp][] = [
  ['div0', 128, /divide error/],
  ['kmem', 142, /page fault at 0x100000/],
  ['io', 141, /general protection fault/],
  ['ud', 134, /invalid opcode/],
  ['null', 142, /page fault at 0x0\b/],
  ['hlt', 141, /general protection fault/],
  // The guard below the 64 KiB stack: an overflow is named, not a silent write into the heap.
  ['stack', 142, /: stack overflow \(page fault at 0xbffe[0-9a-f]{4}\) /],
];

t.test('every kind of crash is killed, and the next program still runs', async (t) => {
  const r = bootOs({ programs: ['init', 'crash', 'hello'], cmdline: `run=${kinds.map(([k]) => `crash:${k}`).join(',')},hello` });
  for (const [kind, status, what] of kinds) {
    const at = r.console.indexOf(`crash: ${kind}\n`);
    t.ok(at >= 0, `crash ${kind} started`);
    const rest = r.console.slice(at).split('\n');
    t.match(rest[1], /^kernel: killed crash \(pid \d+\): /, `${kind}: the kernel's line`);
    t.match(rest[1], what);
    t.match(rest[1], / at eip 0x4000[0-9a-f]{4}$/, 'in the program\'s code');
    t.equal(rest[2], `init: crash exited with status ${status}`);
  }
  t.notMatch(r.console, /still alive/);
  t.match(r.console, /^init: hello exited with status 0$/m);
  t.match(r.console, 'kernel: init exited with status 1');
});

t.test('a crash next to running programs leaves them alone', async (t) => {
  const r = bootOs({ programs: ['init', 'crash', 'hello'], cmdline: 'spawn=hello,crash:kmem,hello,crash:div0' });
  t.equal(r.console.match(/^init: hello exited with status 0$/gm)?.length, 2);
  t.match(r.console, /^init: crash exited with status 142$/m);
  t.match(r.console, /^init: crash exited with status 128$/m);
  t.equal(r.exitCode, 1);
});

t.test('crash without a known kind prints its usage and exits 2', async (t) => {
  const r = bootOs({ programs: ['init', 'crash'], cmdline: 'run=crash' });
  t.match(r.console, /^crash: usage: crash div0\|kmem\|io\|ud\|null\|hlt\|stack$/m);
  t.match(r.console, /^init: crash exited with status 2$/m);
});
