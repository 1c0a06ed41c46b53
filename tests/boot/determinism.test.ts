/**
 * Design §4: the same image and configuration give the same exits, the same output and the
 * same final state, bit for bit. Boots the default guest twice and compares everything.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { bootRom } from '../../firmware/build.js';
import { defaultGuest } from '../../guest-os/build.js';
import { Vm } from '../../vmm/vm.js';

interface Run {
  trace: string[];
  out: string;
  ramSha256: string;
  cpu: string;
  result: ReturnType<Vm['run']>;
}

function run(): Run {
  const trace: string[] = [];
  let out = '';
  // The hook runs after the exit was handled, so vm.nowNs already includes its cost.
  const vm: Vm = new Vm({
    kernel: defaultGuest(),
    firmware: bootRom(),
    cmdline: 'determinism',
    console: (b) => { out += String.fromCharCode(b); },
    onExit: (exit, cycles, device) => {
      trace.push(JSON.stringify({ exit, device: device ?? null, cycles, now: vm.clock.now, ns: vm.nowNs }));
    },
  });
  const result = vm.run();
  return {
    trace,
    out,
    ramSha256: createHash('sha256').update(vm.mem.ram).digest('hex'),
    cpu: JSON.stringify({ ...vm.cpu.snapshot(), retired: vm.cpu.retired }),
    result,
  };
}

t.test('two boots of the default guest are identical', async (t) => {
  const a = run();
  const b = run();
  t.equal(a.result.stop, 'poweroff');
  t.equal(a.result.exitCode, 0);
  t.ok(a.trace.length > 100, `a trace worth comparing (${a.trace.length} exits)`);
  t.equal(b.trace.length, a.trace.length, 'same number of exits');
  const firstDiff = a.trace.findIndex((x, k) => x !== b.trace[k]);
  t.equal(firstDiff, -1, firstDiff < 0 ? 'same exit trace' : `traces differ at exit ${firstDiff}: ${a.trace[firstDiff]} vs ${b.trace[firstDiff]}`);
  t.equal(b.out, a.out, 'same console output');
  t.equal(b.ramSha256, a.ramSha256, 'same guest RAM (SHA-256)');
  t.equal(b.cpu, a.cpu, 'same final registers');
  t.same(b.result, a.result, 'same instructions and cycles');
});
