/**
 * The kernel core (guest-os/kernel/core/, docs/guest-os.md): boot, init, faults that kill a
 * user program and nothing else, round-robin scheduling, sleep and time, spawn and wait,
 * system-call pointer checks, the hypercall filter, the program loader's checks, determinism.
 * The probes run in tests/os/programs/coretest/ (built with the user library).
 */
import t from 'tap';
import fc from 'fast-check';
import { bootOs, buildTestProgram, osMachine, type OsBootOptions, type OsBootResult } from '../../testing/os.js';
import { formatPerfKvmStat } from '../../vmm/stats.js';
import { buildUserProgram } from '../../guest-os/os-build.js';
import { writeImage } from '../../toolchain/image/write.js';

const coretest = buildTestProgram('tests/os/programs/coretest');

function boot(cmdline: string, extra: Partial<OsBootOptions> = {}): OsBootResult {
  return bootOs({ programs: ['init', 'crash', 'hello'], extraPrograms: { coretest }, cmdline, ...extra });
}

function lines(r: OsBootResult): string[] {
  return r.console.split('\n');
}

t.test('boot: banner, init, power-off with init status', async (t) => {
  const r = boot('run=hello');
  t.equal(r.stop, 'poweroff', r.message);
  t.match(r.console, /^vamos kernel \S+ \(mx86\): 64 MiB RAM, 1 devices$/m);
  t.match(r.console, /^init: hello exited with status 0$/m);
  t.match(r.console, /kernel: init exited with status 0\n$/);
  t.equal(r.exitCode, 0);
});

t.test('user faults kill the program with one line; the kernel and the others go on', async (t) => {
  const r = boot('run=crash:div0,crash:kmem,crash:io,crash:ud,crash:null,coretest:exit:0');
  const out = r.console;
  t.match(out, /^kernel: killed crash \(pid \d+\): divide error at eip 0x4[0-9a-f]{7}$/m);
  t.match(out, /^kernel: killed crash \(pid \d+\): page fault at 0x100000 at eip 0x4[0-9a-f]{7}$/m);
  t.match(out, /^kernel: killed crash \(pid \d+\): general protection fault at eip 0x4[0-9a-f]{7}$/m);
  t.match(out, /^kernel: killed crash \(pid \d+\): invalid opcode at eip 0x4[0-9a-f]{7}$/m);
  t.match(out, /^kernel: killed crash \(pid \d+\): page fault at 0x0 at eip 0x4[0-9a-f]{7}$/m);
  t.notMatch(out, /still alive/);
  const statuses = lines(r).filter((l) => l.startsWith('init: crash exited')).map((l) => Number(l.split(' ').pop()));
  t.same(statuses, [128 + 0, 128 + 14, 128 + 13, 128 + 6, 128 + 14], 'wait status is 128 + vector');
  t.match(out, /^init: coretest exited with status 0$/m, 'a program after the faults still runs');
  t.equal(r.exitCode, 1, 'init reports the failures');
});

t.test('exited and killed processes give back every page', async (t) => {
  const free = (cmd: string): number => Number(/kernel: (\d+) pages free/.exec(boot(`memstat ${cmd}`).console)?.[1]);
  const once = free('run=coretest:exit:0');
  t.ok(once > 0);
  t.equal(free('run=coretest:exit:0,coretest:exit:1,crash:div0,coretest:children,coretest:exit:0'), once);
  t.equal(free('spawn=coretest:exit:0,coretest:exit:0,coretest:exit:0'), once);
});

t.test('round robin: two CPU-bound programs share the CPU by time slices', async (t) => {
  const r = boot('tick=100 spawn=coretest:spin:a:6,coretest:spin:b:6');
  const seq = lines(r).filter((l) => /^[ab] \d$/.test(l)).map((l) => l[0]).join('');
  t.equal(seq.length, 12, seq);
  t.equal(seq.replace(/b/g, ''), 'aaaaaa');
  t.ok(/ab.*ba|ba.*ab/.test(seq), `outputs interleave: ${seq}`);
  t.equal(r.exitCode, 0);
});

t.test('sleep, time, spawn and wait statuses, pointer checks, hypercalls', async (t) => {
  const r = boot('run=coretest:nap:25,coretest:children,coretest:badptr,coretest:hyper,coretest:exit:7');
  const out = r.console;
  t.match(out, /^nap 25: slept long enough$/m);
  t.match(out, /^child 'exit 3': pid matches, status 3$/m);
  t.match(out, /^child 'exit 4': pid matches, status 4$/m);
  t.match(out, /^kernel: killed coretest \(pid \d+\): page fault at 0x0 at eip/m);
  t.match(out, /^child 'crashme': pid matches, status 142$/m);
  t.match(out, /^wait with no such child: -10$/m);
  for (const probe of ['write kernel', 'write null', 'write wrap', 'read into text', 'time kernel', 'open kernel path']) {
    t.match(out, new RegExp(`^${probe}: -14$`, 'm'), `${probe} is -E_FAULT`);
  }
  t.match(out, /^time ok: 0$/m);
  t.match(out, /^open missing: -2$/m);
  t.match(out, /^spawn missing: -2$/m);
  t.match(out, /^bad fd: -9$/m);
  t.match(out, /^bad syscall: -38$/m);
  t.match(out, /^hypercall 0: allowed$/m);
  t.match(out, /^hypercall 1: -1$/m, 'a hypercall outside the table is -E_PERM');
  t.match(out, /^init: coretest exited with status 7$/m);
});

t.test('console input: fd 0 returns the bytes typed on the serial line', async (t) => {
  const r = boot('run=coretest:readin:9', { input: 'typed-in!' });
  t.match(r.console, /^readin: \[typed-in!\]$/m);
  t.equal(r.exitCode, 0);
});

t.test('console input: a reader blocks until the serial interrupt delivers bytes typed later', async (t) => {
  const m = osMachine({ programs: ['init'], extraPrograms: { coretest }, cmdline: 'run=coretest:readin:5' });
  // Typed on the host once the guest has been idle (blocked in read) for a while.
  const timer = setTimeout(() => m.vm.uart.pushInput(new TextEncoder().encode('later')), 200);
  const r = await m.runAsync();
  clearTimeout(timer);
  t.match(r.console, /^readin: \[later\]$/m);
  t.equal(r.exitCode, 0);
});

t.test('the loader refuses bad images with an error, not a panic', async (t) => {
  const good = writeImage(buildUserProgram('hello'), 'hello');
  const junk = new Uint8Array(200).fill(0x5a);
  const truncated = good.subarray(0, 100);
  const r = boot('run=coretest:spawnbad,hello', {
    extraFiles: { junk: { data: junk, exec: true }, data: { data: good, exec: false }, truncated: { data: truncated, exec: true } },
  });
  t.match(r.console, /^spawn junk: -22$/m);
  t.match(r.console, /^spawn data: -1$/m, 'a file without the exec flag is -E_PERM');
  t.match(r.console, /^spawn truncated: -22$/m);
  t.match(r.console, /^init: hello exited with status 0$/m);
  t.notMatch(r.console, /panic/);
});

t.test('damaged program headers never bring the kernel down (property, one boot)', async (t) => {
  const good = writeImage(buildUserProgram('hello'), 'hello');
  const segCount = new DataView(good.buffer, good.byteOffset).getUint16(12, true);
  const tableEnd = 36 + 28 * segCount;   // header and segment table: what the loader trusts least
  const damage = fc.array(fc.tuple(fc.nat({ max: tableEnd - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
  const samples = fc.sample(damage, { numRuns: 16, seed: 5 });
  const extraFiles: Record<string, { data: Uint8Array; exec: boolean }> = {};
  samples.forEach((flips, i) => {
    const data = good.slice();
    for (const [at, x] of flips) data[at]! ^= x;
    extraFiles[`m${i}`] = { data, exec: true };
  });
  const r = boot(`run=coretest:spawnall:${samples.length}`, { extraFiles, programs: ['init'] });
  for (let i = 0; i < samples.length; i++) t.match(r.console, new RegExp(`^m${i}: `, 'm'));
  t.notMatch(r.console, /kernel panic/);
  t.match(r.console, /^init: coretest exited with status 0$/m);
  t.equal(r.stop, 'poweroff');
});

t.test('a fault in the kernel panics with eip, cr2 and the vector, and powers off with 3', async (t) => {
  const r = boot('run=hello', { defines: ['KERNEL_TEST_FAULT=0x10'], boot: 'direct' });
  t.match(r.console, /^kernel panic: page fault \(vector 14, error 0x2\) at eip 0x1[0-9a-f]{5}, cr2 0x10, in ring 0$/m);
  t.equal(r.exitCode, 3);
  t.notMatch(r.console, /init:/);
});

t.test('determinism: two boots give the same console and the same exits', async (t) => {
  const cmd = 'tick=100 spawn=coretest:spin:a:3,coretest:spin:b:3 run=coretest:nap:3';
  const a = boot(cmd);
  const b = boot(cmd);
  t.equal(a.console, b.console);
  t.equal(a.instructions, b.instructions);
  t.equal(a.cycles, b.cycles);
  t.equal(formatPerfKvmStat(a.stats, a.vm.profile.cpuHz), formatPerfKvmStat(b.stats, b.vm.profile.cpuHz));
});
