/**
 * Boots the default guest (guest-os/hello/kernel.s) behind the boot ROM and checks what it
 * prints, how it stops and the exits it causes (docs/guest-os.md, docs/boot.md).
 */
import t from 'tap';
import { bootRom } from '../../firmware/build.js';
import { defaultGuest } from '../../guest-os/build.js';
import { Vm, type VmOptions } from '../../vmm/vm.js';
import type { VmExit } from '../../vmm/exits.js';
import { loadProfile } from '../../vmm/profile.js';
import { formatPerfKvmStat } from '../../vmm/stats.js';

interface Booted {
  vm: Vm;
  out: string;
  result: ReturnType<Vm['run']>;
  exits: { exit: VmExit; device: string | undefined }[];
}

function boot(opts: Partial<VmOptions> = {}): Booted {
  let out = '';
  const exits: Booted['exits'] = [];
  const vm = new Vm({
    kernel: defaultGuest(),
    firmware: bootRom(),
    profile: loadProfile('nehalem-2011'),
    console: (b) => { out += String.fromCharCode(b); },
    onExit: (exit, _cycles, device) => exits.push({ exit, device }),
    ...opts,
  });
  const result = vm.run();
  return { vm, out, result, exits };
}

const EXPECTED = [
  'vamos hello kernel',
  'kernel: 64 MiB RAM, command line ""',
  'kernel: IDT loaded, paging on',
  'kernel: timer at 1000 us, entering ring 3',
  'hello from ring 3',
  'user: slept from tick 0 to tick 5, then spun to tick 7',
  'kernel: user program exited with code 0 after 7 ticks',
  '',
].join('\n');

t.test('the default guest boots, runs its ring-3 program and powers off with 0', async (t) => {
  const { vm, out, result } = boot();
  t.equal(out, EXPECTED);
  t.equal(result.stop, 'poweroff', result.message);
  t.equal(result.exitCode, 0);
  t.equal(vm.timer.fired, 7, 'the timer fired once per tick the kernel counted');
  t.equal(vm.cpu.cpl, 0, 'the kernel powered off from ring 0');
  t.equal(vm.cpu.snapshot().cr0 >>> 0, 0x80010000, 'paging and write protection on');
  t.equal(vm.romWrites, 0);
  t.equal(vm.ports.unmappedReads + vm.ports.unmappedWrites, 0, 'no stray port accesses');
  t.comment(formatPerfKvmStat(vm.stats, vm.profile.cpuHz));
});

t.test('its exits: polled serial output, hlt while sleeping, timer interrupts and their EOIs', async (t) => {
  const { vm, out, exits } = boot();
  const s = vm.stats;
  // Every byte costs one LSR read and one THR write; serial_init adds two writes.
  t.equal(s.countOf('io', 'serial'), 2 * out.length + 2, 'serial: LSR poll + THR write per byte, plus init');
  const serial = exits.filter((e) => e.device === 'serial').map((e) => e.exit);
  const lsrReads = serial.filter((x) => x.reason === 'io' && !x.write && x.port === 0x3fd).length;
  const thrWrites = serial.filter((x) => x.reason === 'io' && x.write && x.port === 0x3f8).length;
  t.equal(lsrReads, out.length);
  t.equal(thrWrites, out.length);

  t.equal(s.countOf('hlt'), 5, 'sleep(5) halts once per tick');
  t.ok(s.countOf('external-interrupt') >= 1, 'timer interrupts arrived while the guest ran (the busy wait)');
  const eois = exits.filter((e) => e.exit.reason === 'io' && e.exit.write && e.exit.port === 0x20 && e.exit.value === 0x20);
  t.equal(eois.length, 7, 'one EOI per tick');
  t.ok(eois.every((e) => e.device === 'pic'));
  t.equal(s.countOf('io', 'pic'), 8, 'the EOIs and the one mask write that unmasks IRQ 0');
  const mask = exits.find((e) => e.exit.reason === 'io' && e.exit.port === 0x21);
  t.match(mask?.exit, { write: true, value: 0xfe });
  t.equal(s.countOf('io', 'timer'), 2, 'the timer is started, then stopped at exit');
  t.equal(s.countOf('io', 'power'), 1);
  t.equal(s.countOf('mmio'), 0);
  t.equal(s.countOf('shutdown'), 0);
  t.equal(s.countOf('io'), s.countOf('io', 'serial') + s.countOf('io', 'pic') + s.countOf('io', 'timer') + s.countOf('io', 'power'));
});

t.test('the command line travels through the boot-information block to the kernel', async (t) => {
  const { out, result } = boot({ cmdline: 'console=ttyS0 quiet' });
  t.match(out, /^kernel: 64 MiB RAM, command line "console=ttyS0 quiet"$/m);
  t.equal(result.exitCode, 0);
});

t.test('the RAM size reaches the kernel too', async (t) => {
  const { out, result } = boot({ memSize: 16 << 20 });
  t.match(out, /^kernel: 16 MiB RAM, /m);
  t.equal(result.exitCode, 0);
});

t.test('the modern profile runs the same guest to the same output', async (t) => {
  const { out, result } = boot({ profile: loadProfile('modern') });
  t.equal(out, EXPECTED);
  t.equal(result.exitCode, 0);
});
