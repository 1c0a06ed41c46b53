/**
 * The boot ROM (firmware/, docs/firmware.md) and the boot protocol of docs/boot.md: what the
 * kernel finds at its entry, and the fall-back to a disk boot when there is no boot-information
 * block (tests/firmware/ covers disk boots).
 */
import t from 'tap';
import { bootRom } from '../../firmware/build.js';
import { defaultGuest } from '../../guest-os/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import type { Image } from '../../toolchain/image/format.js';
import { BOOT_INFO_ADDR, BOOT_MAGIC } from '../../vmm/bootinfo.js';
import { decodeAt } from '../../vmm/isa/encoding.js';
import { RESET_VECTOR, ROM_BASE, ROM_SIZE } from '../../vmm/memory.js';
import { Vm } from '../../vmm/vm.js';

function boot(kernel: Image, prepare?: (vm: Vm) => void, firmware = bootRom()): { vm: Vm; out: string; result: ReturnType<Vm['run']> } {
  let out = '';
  const vm = new Vm({ kernel, firmware, console: (b) => { out += String.fromCharCode(b); } });
  prepare?.(vm);
  const result = vm.run();
  return { vm, out, result };
}

t.test('the ROM fits its window and has a jump at the reset vector', async (t) => {
  const rom = bootRom();
  for (const s of rom.segments) {
    t.ok(s.paddr >= ROM_BASE && s.paddr + s.memSize <= ROM_BASE + ROM_SIZE, `${s.name} inside the ROM`);
  }
  const text = rom.segments.find((s) => s.paddr <= RESET_VECTOR && RESET_VECTOR < s.paddr + s.memSize)!;
  const d = decodeAt(text.data, RESET_VECTOR - text.paddr);
  t.ok(d.ok);
  if (d.ok) t.equal(d.insn.def.mnemonic, 'jmp');
  t.ok(text.paddr + text.memSize - ROM_BASE <= ROM_SIZE, 'nothing beyond the last 16 bytes');
});

t.test('the kernel is entered with eax = magic, ebx = block, the firmware stack, ring 0, IF=0, paging off', async (t) => {
  // Powers off with 0x60 when everything holds, else with the number of the first failed check.
  const probe = assemble(`
_start:
        mov edi, 1
        cmp eax, ${BOOT_MAGIC}
        jne fail
        mov edi, 2
        cmp ebx, ${BOOT_INFO_ADDR}
        jne fail
        mov edi, 3
        cmp esp, 0x7000
        jne fail
        mov edi, 4
        pushf
        pop ecx
        test ecx, 0x200
        jne fail
        mov edi, 5
        mov ecx, cr0
        test ecx, ecx
        jne fail
        mov edi, 6
        mov ecx, [ebx + 0x10]
        cmp ecx, _start
        jne fail
        mov edi, 0x60
fail:
        outd 0xf4, edi
        hlt
`, { file: 'probe.s' }).image;
  const { result, out } = boot(probe);
  t.equal(result.stop, 'poweroff', result.message);
  t.equal(result.exitCode, 0x60);
  t.equal(out, '', 'the ROM prints nothing when all is well');
});

t.test('without a boot-information block the ROM boots from disk; with no disk it says so and powers off with 255', async (t) => {
  const { out, result, vm } = boot(defaultGuest(), (vm) => vm.mem.ram.fill(0, BOOT_INFO_ADDR, BOOT_INFO_ADDR + 4));
  t.equal(out, 'bootrom: no bootable disk (0 virtio devices found)\n');
  t.equal(result.stop, 'poweroff');
  t.equal(result.exitCode, 255);
  t.equal(vm.cpu.eip >>> 0 >= ROM_BASE, true, 'the kernel never ran');
});

t.test('a wrong magic is refused the same way', async (t) => {
  const { out, result } = boot(defaultGuest(), (vm) => { vm.mem.ram[BOOT_INFO_ADDR] ^= 1; });
  t.match(out, /^bootrom: no bootable disk/);
  t.equal(result.exitCode, 255);
});

t.test('the kernel refuses to run when not entered by the boot protocol', async (t) => {
  // A ROM that jumps straight to the kernel without the magic in eax.
  const rogue = assemble(`
_start:
        xor eax, eax
        mov esp, 0x7000
        mov ecx, 0x100000
        jmp ecx
.org 0xfffffff0
        jmp _start
`, { file: 'rogue.s', textBase: ROM_BASE }).image;
  const { out, result } = boot(defaultGuest(), undefined, rogue);
  t.equal(out, 'kernel panic: not started by the vamos boot protocol (eax is not the boot magic)\n');
  t.equal(result.exitCode, 0xfe);
});
