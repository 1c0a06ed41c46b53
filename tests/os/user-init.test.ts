/**
 * init and hello (guest-os/user/init, guest-os/user/hello): the banner, run= (one after another)
 * and spawn= (all at once), program arguments written name:arg1:arg2, the status lines and
 * init's own exit status, which the kernel powers off with.
 */
import t from 'tap';
import { bootOs } from '../../testing/os.js';

const programs = ['init', 'hello', 'crash'];

const lines = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('init:') || l.startsWith('hello') || l.startsWith('crash:'));

t.test('without run= or spawn= init prints its banner and exits 0', async (t) => {
  const r = bootOs({ programs, cmdline: 'iommu=off quiet' });
  t.equal(r.stop, 'poweroff', r.message);
  t.same(lines(r.console), ['init: vamos userland', 'init: nothing to run (give run=a,b or spawn=a,b)']);
  t.match(r.console, 'kernel: init exited with status 0');
  t.equal(r.exitCode, 0);
});

t.test('hello greets with its pid and the virtual time', async (t) => {
  const r = bootOs({ programs, cmdline: 'run=hello' });
  if (r.exitCode !== 0) t.comment(r.console);
  t.equal(r.exitCode, 0, 'exits 0');
  t.match(r.console, /^hello from pid \d+ at \d+\.\d{6} ms of virtual time$/m);
  t.match(r.console, /^init: hello exited with status 0$/m);
});

t.test('the disk\'s default command line is used when the VMM gives none', async (t) => {
  const r = bootOs({ programs, diskCmdline: 'run=hello' });
  if (r.exitCode !== 0) t.comment(r.console);
  t.equal(r.exitCode, 0, 'exits 0');
  t.match(r.console, /^init: hello exited with status 0$/m);
});

t.test('run= runs the programs one after another, with their arguments, and reports each', async (t) => {
  const r = bootOs({ programs, cmdline: 'run=hello,crash:div0,hello,crash:ud' });
  t.same(lines(r.console), [
    'init: vamos userland',
    ...lines(r.console).filter((l) => l.startsWith('hello')).slice(0, 1),
    'init: hello exited with status 0',
    'crash: div0',
    'init: crash exited with status 128',
    ...lines(r.console).filter((l) => l.startsWith('hello')).slice(1, 2),
    'init: hello exited with status 0',
    'crash: ud',
    'init: crash exited with status 134',
  ]);
  const pids = [...r.console.matchAll(/hello from pid (\d+)/g)].map((m) => Number(m[1]));
  t.equal(pids.length, 2);
  t.ok(pids[1]! > pids[0]!, 'the second hello is a new process');
  t.match(r.console, 'kernel: init exited with status 1');
  t.equal(r.exitCode, 1, 'not all exited 0');
});

t.test('spawn= starts them all, then waits for each; an unknown program is reported', async (t) => {
  const r = bootOs({ programs, cmdline: 'spawn=hello,hello,hello spawn=nosuch run=hello' });
  const l = lines(r.console);
  t.equal(l.filter((x) => x === 'init: hello exited with status 0').length, 4);
  t.equal(l.filter((x) => x.startsWith('hello from pid')).length, 4);
  // All three were started before init waited for the first: their pids are consecutive and
  // at least two greeted before init reported anything.
  const pids = [...r.console.matchAll(/hello from pid (\d+)/g)].map((m) => Number(m[1])).slice(0, 3).sort((a, b) => a - b);
  t.same(pids, [pids[0]!, pids[0]! + 1, pids[0]! + 2]);
  const firstStatus = l.indexOf('init: hello exited with status 0');
  t.ok(l.slice(0, firstStatus).filter((x) => x.startsWith('hello from')).length >= 2);
  t.match(r.console, /^init: cannot start nosuch: no such file$/m);
  t.equal(r.exitCode, 1);
});

t.test('all programs exiting 0 make init exit 0', async (t) => {
  const r = bootOs({ programs, cmdline: 'spawn=hello,hello run=hello,hello' });
  if (r.exitCode !== 0) t.comment(r.console);
  t.equal(r.exitCode, 0, 'exits 0');
  t.equal(lines(r.console).filter((x) => x === 'init: hello exited with status 0').length, 4);
});
