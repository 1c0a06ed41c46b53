/**
 * The boot ROM's disk boot (docs/firmware.md): it finds the virtio devices, reads the boot disk
 * by polling, loads the kernel file and enters it by the boot protocol of docs/boot.md; every
 * failure is one line on COM1 and a power-off with 255.
 */
import t from 'tap';
import fc from 'fast-check';
import { readImage, validateImage } from '../../toolchain/image/read.js';
import { bootRom, firmwareLayout } from '../../firmware/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import type { Image } from '../../toolchain/image/format.js';
import { writeImage } from '../../toolchain/image/write.js';
import { BOOTFS_SECTOR, makeBootDisk } from '../../toolchain/disk/bootfs.js';
import { MemoryBackend, type BlockBackend } from '../../devices/virtio/blk/backend.js';
import type { NetBackend } from '../../devices/virtio/net/backend.js';
import { BOOT_INFO_ADDR, BOOT_MAGIC, readBootInfo } from '../../vmm/bootinfo.js';
import { ROM_BASE } from '../../vmm/memory.js';
import { Vm, type VmOptions } from '../../vmm/vm.js';

// The probe kernel: powers off with 0x60 when it was entered by the boot protocol, else with the
// number of the first failed check. Its .data and .bss let the test check the copy and the zeroing.
const PROBE = `
_start:
        mov edi, 1
        cmp eax, ${BOOT_MAGIC}
        jne fail
        mov edi, 2
        cmp ebx, ${BOOT_INFO_ADDR}
        jne fail
        mov edi, 3
        cmp ecx, _start
        jne fail
        mov edi, 4
        pushf
        pop edx
        test edx, 0x200
        jne fail
        mov edi, 5
        mov edx, cr0
        test edx, edx
        jne fail
        mov edi, 6
        mov edx, [ebx + 0x10]
        cmp edx, _start
        jne fail
        mov edi, 0x60
fail:
        outd 0xf4, edi
        hlt
.data
pattern: .dword 0x11223344, 0x55667788
.ascii "kernel data that must arrive intact"
.bss
zeroed: .space 8192
`;

function probeKernel(opts: { textBase?: number; dataBase?: number } = {}): Image {
  return assemble(PROBE, { file: 'probe.s', textBase: opts.textBase ?? 0x100000, dataBase: opts.dataBase, bssBase: undefined }).image;
}

const nullNet: NetBackend = { attach() {}, send() {} } as unknown as NetBackend;

interface Booted {
  vm: Vm;
  out: string;
  result: ReturnType<Vm['run']>;
}

function bootDisks(disks: Uint8Array[], extra: Partial<VmOptions> = {}, prepare?: (vm: Vm) => void): Booted {
  let out = '';
  const vm = new Vm({
    firmware: bootRom(),
    disks: disks.map((d) => ({ backend: new MemoryBackend(d.length / BOOTFS_SECTOR, true, d) })),
    console: (b) => { out += String.fromCharCode(b); },
    maxInstructions: 50_000_000,
    ...extra,
  });
  // RAM full of junk, so that the firmware's zeroing (its .bss, the kernel's bss) is tested
  // (not on a direct boot, where the VMM has loaded the kernel there already).
  if (!extra.kernel) {
    vm.mem.ram.fill(0xa5, 0x100000, Math.min(0x200000, vm.mem.ramSize));
    vm.mem.ram.fill(0xa5, 0x8000, 0x10000);
  }
  prepare?.(vm);
  const result = vm.run();
  return { vm, out, result };
}

function disk(kernel: Uint8Array, more: Partial<Parameters<typeof makeBootDisk>[0]> = {}): Uint8Array {
  return makeBootDisk({ kernel, files: [{ name: 'init', data: new Uint8Array(100).fill(1), exec: true }], cmdline: 'run=hello', ...more });
}

t.test('the ROM layout: code and constants in the ROM, variables in low RAM', async (t) => {
  const layout = firmwareLayout();
  t.ok(layout.bss.base >= 0x8000 && layout.bss.base + layout.bss.size <= 0x10000, `bss 0x${layout.bss.base.toString(16)}+${layout.bss.size}`);
  t.ok(layout.romBytes < 0x10000 - 16, `${layout.romBytes} bytes of ROM`);
  for (const s of bootRom().segments) t.ok(s.paddr >= ROM_BASE, `${s.name} in the ROM`);
  t.comment(`firmware: ${layout.romBytes} bytes of ROM, ${layout.bss.size} bytes of .bss`);
});

t.test('disk boot: the kernel is loaded intact and entered by the boot protocol', async (t) => {
  const kernel = probeKernel();
  const { vm, out, result } = bootDisks([disk(writeImage(kernel))]);
  t.equal(out, '', 'the ROM prints nothing when all is well');
  t.equal(result.stop, 'poweroff', result.message);
  t.equal(result.exitCode, 0x60);
  for (const s of kernel.segments) {
    const ram = vm.mem.ram.subarray(s.paddr, s.paddr + s.memSize);
    t.same(ram.subarray(0, s.data.length), s.data, `${s.name} copied`);
    t.ok(ram.subarray(s.data.length).every((b) => b === 0), `${s.name} tail zeroed`);
  }
  t.equal(vm.romWrites, 0, 'the ROM is never written');
  const info = readBootInfo(vm.mem)!;
  t.ok(info, 'a boot-information block');
  t.equal(info.memSize, vm.mem.ramSize);
  t.equal(info.kernelEntry, kernel.entry);
  const end = Math.max(...kernel.segments.map((s) => s.paddr + s.memSize));
  t.equal(info.kernelEnd, Math.ceil(end / 4096) * 4096);
  t.equal(info.bootDevice, 0);
  t.same(info.devices, [{ mmioBase: 0xd0000000, mmioSize: 0x1000, irq: 5, virtioId: 2, sourceId: 0 }]);
  t.same(info.memmap, [
    { base: 0, length: 0x100000, type: 2 },
    { base: 0x100000, length: vm.mem.ramSize - 0x100000, type: 1 },
  ]);
  t.equal(info.cmdline, 'run=hello', 'the disk default command line');
  t.equal(info.iommuBase, 0);
  t.equal(vm.slots[0]!.transport.status, 0, 'the boot disk is reset for the kernel');
  const rows = vm.stats.byDevice().map((r) => `${r.device} ${r.reason} ${r.bucket.count}`).join(', ');
  t.comment(`exits of a disk boot: ${rows}; ${result.instructions} instructions`);
  // Few exits: no per-sector requests. Setup ~35, three requests, and polling reads while the
  // disk's service time passes (docs/firmware.md).
  t.ok(vm.stats.countOf('mmio') < 200, `${vm.stats.countOf('mmio')} mmio exits`);
  t.ok(vm.stats.countOf('io') < 20, `${vm.stats.countOf('io')} io exits`);
});

t.test('the VMM command line takes precedence over the disk default; the IOMMU is reported', async (t) => {
  const { vm, result } = bootDisks([disk(writeImage(probeKernel()))], { cmdline: 'run=other iommu=strict', iommu: true });
  t.equal(result.exitCode, 0x60, result.message);
  const info = readBootInfo(vm.mem)!;
  t.equal(info.cmdline, 'run=other iommu=strict');
  t.equal(info.iommuBase, 0xfed90000);
  t.equal(info.iommuIrq, 9);
  t.equal(vm.romWrites, 0);
});

t.test('an empty disk default and no VMM command line give an empty command line', async (t) => {
  const { vm, result } = bootDisks([disk(writeImage(probeKernel()), { cmdline: '' })]);
  t.equal(result.exitCode, 0x60, result.message);
  t.equal(readBootInfo(vm.mem)!.cmdline, '');
});

t.test('the first bootable disk wins; every device is in the table', async (t) => {
  const data = new Uint8Array(64 * BOOTFS_SECTOR); // a blank data disk first
  const other = disk(writeImage(probeKernel()), { cmdline: 'second' });
  const { vm, result, out } = bootDisks([data, disk(writeImage(probeKernel()), { cmdline: 'first' }), other], { nets: [nullNet] });
  t.equal(result.exitCode, 0x60, `${result.message} ${out}`);
  const info = readBootInfo(vm.mem)!;
  t.equal(info.bootDevice, 1);
  t.equal(info.cmdline, 'first');
  t.same(info.devices.map((d) => [d.mmioBase, d.irq, d.virtioId, d.sourceId]), [
    [0xd0000000, 5, 2, 0], [0xd0001000, 6, 2, 1], [0xd0002000, 7, 2, 2], [0xd0003000, 8, 1, 3],
  ]);
  t.equal(vm.romWrites, 0);
});

t.test('a kernel larger than the low staging area is staged at the top of RAM', async (t) => {
  const big = assemble(`${PROBE}\n.data\n.space 700000, 0x5a\n`, { file: 'big.s', textBase: 0x100000 }).image;
  const { vm, result } = bootDisks([disk(writeImage(big))]);
  t.equal(result.exitCode, 0x60, result.message);
  for (const s of big.segments) {
    t.ok(Buffer.from(vm.mem.ram.subarray(s.paddr, s.paddr + s.data.length)).equals(Buffer.from(s.data)), `${s.name} intact`);
  }
});

t.test('failures: one line on COM1 and power-off with 255', async (t) => {
  const good = writeImage(probeKernel());
  const corrupt = disk(good);
  corrupt[2 * BOOTFS_SECTOR + 40] ^= 0xff; // inside the kernel file, which starts in sector 2
  const low = writeImage(assemble(PROBE, { file: 'low.s', textBase: 0x100000, dataBase: 0x80000 }).image);
  const badMagic = new Uint8Array(good);
  badMagic[0] = 0x45;
  const patch = (edit: (v: DataView) => void): Uint8Array => {
    const b = new Uint8Array(good);
    edit(new DataView(b.buffer));
    return b;
  };
  const badEntry = patch((v) => v.setUint32(8, 0x90000000, true));
  const overlap = patch((v) => v.setUint32(36 + 28, 0x100000, true)); // segment 1's paddr onto segment 0
  const high = writeImage(assemble(PROBE, { file: 'high.s', textBase: 0x100000, dataBase: 0x3ff000 }).image);
  const cases: [string, Uint8Array[], string][] = [
    ['no disk', [], 'bootrom: no bootable disk (0 virtio devices found)\n'],
    ['blank disk', [new Uint8Array(16 * BOOTFS_SECTOR)], 'bootrom: no bootable disk (1 virtio devices found)\n'],
    ['corrupt kernel', [corrupt], 'bootrom: kernel checksum mismatch\n'],
    ['segment below 1 MiB', [disk(low)], 'bootrom: bad kernel image: segment 1 below 1 MiB\n'],
    ['not MXI', [disk(badMagic)], 'bootrom: bad kernel image: bad magic (not an MXI image)\n'],
    ['bad entry', [disk(badEntry)], 'bootrom: bad kernel image: entry point not inside an executable segment\n'],
    ['overlap', [disk(overlap)], 'bootrom: bad kernel image: segment 1 overlaps another segment\n'],
    ['outside RAM', [disk(high)], 'bootrom: bad kernel image: segment 2 outside RAM\n'],
    ['truncated', [disk(good.subarray(0, 20))], 'bootrom: bad kernel image: file shorter than the MXI header\n'],
  ];
  for (const [what, disks, message] of cases) {
    const { out, result, vm } = bootDisks(disks, { memSize: 4 * 1024 * 1024 });
    t.equal(out, message, what);
    t.equal(result.stop, 'poweroff', `${what}: ${result.message}`);
    t.equal(result.exitCode, 255, what);
    t.equal(vm.romWrites, 0, `${what}: no ROM writes`);
  }
});

/** A disk whose sectors past the directory cannot be read: the device answers IOERR. */
class FailingBackend extends MemoryBackend {
  constructor(sectors: number, readOnly: boolean, initial: Uint8Array) {
    super(sectors, readOnly, initial);
    // No zero-copy path: every read must go through read() and fail.
    (this as BlockBackend).view = undefined;
  }

  override read(sector: number, into: Uint8Array): void {
    if (sector >= 2) throw new Error('medium error');
    super.read(sector, into);
  }
}

t.test('a read error names the slot', async (t) => {
  const d = disk(writeImage(probeKernel()));
  let out = '';
  const vm = new Vm({
    firmware: bootRom(), maxInstructions: 50_000_000, console: (b) => { out += String.fromCharCode(b); },
    disks: [{ backend: new MemoryBackend(16, true) }, { backend: new FailingBackend(d.length / BOOTFS_SECTOR, true, d) }],
  });
  const result = vm.run();
  t.equal(out, 'bootrom: disk read error on slot 1\n');
  t.equal(result.exitCode, 255);
  t.equal(vm.romWrites, 0);
});

t.test('direct boot: with a kernel from the VMM the ROM jumps at once, even with a boot disk present', async (t) => {
  const kernel = probeKernel();
  const d = disk(writeImage(kernel), { cmdline: 'from disk' });
  const { vm, result, out } = bootDisks([d], { kernel, cmdline: 'from vmm' });
  t.equal(result.exitCode, 0x60, `${result.message} ${out}`);
  t.equal(out, '');
  t.equal(vm.stats.countOf('mmio'), 0, 'no device touched');
  t.equal(vm.stats.countOf('io'), 1, 'only the power-off');
  const info = readBootInfo(vm.mem)!;
  t.equal(info.cmdline, 'from vmm');
  t.equal(info.bootDevice, 0xffffffff, 'no boot device on a direct boot');
  t.equal(vm.romWrites, 0);
});

t.test('damaged kernel headers: a one-line refusal or a boot, never a hang or a ROM write', async (t) => {
  const good = writeImage(probeKernel());
  const headerBytes = 36 + 3 * 28; // the header and the segment table of the probe
  let refused = 0;
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.nat(headerBytes - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    (edits) => {
      const bytes = new Uint8Array(good);
      for (const [at, v] of edits) bytes[at] = v;
      let valid = true;
      try {
        const img = readImage(bytes, 'k');
        validateImage(img, { ramSize: 4 << 20 }, 'k');
        if (img.segments.some((s) => s.memSize > 0 && s.paddr < 0x100000)) valid = false;
      } catch {
        valid = false;
      }
      const { out, result, vm } = bootDisks([disk(bytes)], { memSize: 4 << 20, maxInstructions: 2_000_000 });
      if (vm.romWrites !== 0) return false;
      if (out.startsWith('bootrom:')) {
        refused++;
        return !valid && /^bootrom: (bad kernel image: [^\n]+|kernel checksum mismatch)\n$/.test(out) &&
          result.stop === 'poweroff' && result.exitCode === 255;
      }
      return true; // accepted: what the kernel's (damaged) code then does is its own business
    }), { numRuns: 40 });
  t.ok(refused > 0, `${refused} of 40 refused`);
});

t.test('the firmware leaves no interrupt pending for the kernel', async (t) => {
  const { vm, result } = bootDisks([disk(writeImage(probeKernel()))]);
  t.equal(result.exitCode, 0x60, result.message);
  t.equal(vm.pic.irr & (1 << 5), 0, 'IRQ 5 (slot 0) not latched');
  t.equal(vm.slots[0]!.transport.interruptStatus, 0);
});

t.test('the firmware checksum agrees with the host one for every length (odd words, tail bytes)', async (t) => {
  const good = writeImage(probeKernel());
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 9 }), (tail) => {
    const kernel = new Uint8Array(good.length + tail.length);
    kernel.set(good);
    kernel.set(tail, good.length); // trailing bytes that no table points at: harmless to the loader
    const { out, result } = bootDisks([disk(kernel)], { memSize: 4 << 20 });
    return out === '' && result.exitCode === 0x60;
  }), { numRuns: 12 });
  t.pass('every length boots');
});
