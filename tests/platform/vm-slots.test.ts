/**
 * The platform the VMM builds (docs/platform.md): disks then network devices in the virtio-mmio
 * slots, their IRQ lines and names, the IOMMU, the boot-information block v2 of a direct kernel
 * boot, and a guest that reads a disk through its slot by polling.
 */
import t from 'tap';
import { bootRom } from '../../firmware/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import type { Image } from '../../toolchain/image/format.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { peerPair } from '../../devices/virtio/net/backend.js';
import { VIRTIO_ID_BLOCK, VIRTIO_ID_NET } from '../../devices/virtio/mmio/device.js';
import { readBootInfo } from '../../vmm/bootinfo.js';
import {
  BOOT_INFO_ADDR, BOOT_NO_DEVICE, IOMMU_IRQ, IOMMU_MMIO_BASE, MEMMAP_RESERVED, MEMMAP_USABLE, VIRTIO_MMIO_STRIDE,
} from '../../vmm/platform.js';
import { formatPerfKvmStat } from '../../vmm/stats.js';
import { Vm, VmConfigError, type VmOptions } from '../../vmm/vm.js';

/** Powers off with 7 at once: enough of a kernel to build a VM around. */
const idle = assemble('_start:\n        mov eax, 7\n        outd 0xf4, eax\n        hlt\n', { file: 'idle.s' }).image;

function vm(opts: Partial<VmOptions>): Vm {
  return new Vm({ kernel: idle, firmware: bootRom(), ...opts });
}

const disk = (sectors = 64, ro = false): MemoryBackend => new MemoryBackend(sectors, ro);

t.test('disks take the first slots, network devices the next; names, windows and IRQ lines', async (t) => {
  const v = vm({ disks: [{ backend: disk() }, { backend: disk(), readOnly: true }], nets: [peerPair()[0]] });
  t.same(v.slots.map((s) => [s.slot, s.name, s.base, s.irq]), [
    [0, 'virtio-blk0', 0xd0000000, 5],
    [1, 'virtio-blk1', 0xd0001000, 6],
    [2, 'virtio-net0', 0xd0002000, 7],
  ]);
  t.equal(v.blk.length, 2);
  t.equal(v.net.length, 1);
  t.equal(v.blk[1]!.readOnly, true);
  t.equal(v.iommu, undefined);
  t.equal(v.mmio.find(0xd0002010)?.device.name, 'virtio-net0');
  t.equal(v.mmio.find(0xd0003000), undefined, 'slot 3 is empty');
  t.equal(v.mmio.find(IOMMU_MMIO_BASE), undefined, 'no IOMMU without iommu: true');
  t.equal(v.ports.find(0x510)?.device.name, 'fw-cfg');
  t.equal(v.ports.find(0x511)?.device.name, 'fw-cfg');
  t.not(v.net[0]!.mac[5], undefined);
});

t.test('four devices fit, a fifth is a one-line error', async (t) => {
  t.equal(vm({ disks: [{ backend: disk() }, { backend: disk() }], nets: [peerPair()[0], peerPair()[0]] }).slots.length, 4);
  t.throws(() => vm({ disks: [{ backend: disk() }, { backend: disk() }, { backend: disk() }], nets: [peerPair()[0], peerPair()[0]] }),
    new VmConfigError('3 disks and 2 network devices: the machine has 4 virtio slots'));
});

t.test('with iommu: the IOMMU at 0xFED90000 on line 9, every slot behind it with ACCESS_PLATFORM', async (t) => {
  const v = vm({ disks: [{ backend: disk() }], nets: [peerPair()[0]], iommu: true });
  t.ok(v.iommu);
  t.equal(v.mmio.find(IOMMU_MMIO_BASE)?.device, v.iommu);
  t.equal(v.slots[0]!.transport.dma, v.iommu!.dma(0), 'slot 0 is source id 0');
  t.equal(v.slots[1]!.transport.dma, v.iommu!.dma(1), 'slot 1 is source id 1');
  t.equal(v.slots[0]!.transport.offered & (1n << 33n), 1n << 33n, 'VIRTIO_F_ACCESS_PLATFORM offered');
  const plain = vm({ disks: [{ backend: disk() }] });
  t.equal(plain.slots[0]!.transport.offered & (1n << 33n), 0n, 'not offered without the IOMMU');
});

t.test('boot-information block v2 of a direct boot', async (t) => {
  const v = vm({ disks: [{ backend: disk() }], nets: [peerPair()[0]], iommu: true, cmdline: 'iommu=strict run=x', memSize: 32 << 20 });
  const bi = readBootInfo(v.mem)!;
  t.ok(bi, 'magic present');
  t.equal(bi.memSize, 32 << 20);
  t.equal(bi.cmdline, 'iommu=strict run=x');
  t.equal(bi.cmdlineAddr, 0x7100);
  t.equal(bi.kernelEntry, idle.entry);
  t.equal(bi.kernelEnd, 0x101000, 'v1 fields as before');
  t.equal(bi.bootDevice, BOOT_NO_DEVICE);
  t.equal(bi.iommuBase, IOMMU_MMIO_BASE);
  t.equal(bi.iommuIrq, IOMMU_IRQ);
  t.same(bi.memmap, [
    { base: 0, length: 0x100000, type: MEMMAP_RESERVED },
    { base: 0x100000, length: (32 << 20) - 0x100000, type: MEMMAP_USABLE },
  ]);
  t.same(bi.devices, [
    { mmioBase: 0xd0000000, mmioSize: VIRTIO_MMIO_STRIDE, irq: 5, virtioId: VIRTIO_ID_BLOCK, sourceId: 0 },
    { mmioBase: 0xd0001000, mmioSize: VIRTIO_MMIO_STRIDE, irq: 6, virtioId: VIRTIO_ID_NET, sourceId: 1 },
  ]);
  // The raw words, as the kernel reads them.
  const w = (off: number): number => new DataView(v.mem.ram.buffer).getUint32(BOOT_INFO_ADDR + off, true);
  t.equal(w(0x1c), 2, 'device_count');
  t.equal(w(0x60 + 12), VIRTIO_ID_BLOCK, 'kind of slot 0: id 2, source 0');
  t.equal(w(0x70 + 12), VIRTIO_ID_NET | (1 << 16), 'kind of slot 1: id 1, source 1');
  t.equal(w(0x2c), 0, 'reserved is 0');
});

t.test('without devices or IOMMU the v2 fields are empty', async (t) => {
  const bi = readBootInfo(vm({}).mem)!;
  t.equal(bi.iommuBase, 0);
  t.equal(bi.iommuIrq, 0);
  t.same(bi.devices, []);
  t.equal(bi.memmap.length, 2);
});

t.test('without a kernel the VMM writes no boot-information block (disk boot)', async (t) => {
  const v = new Vm({ firmware: bootRom(), disks: [{ backend: disk() }] });
  t.equal(readBootInfo(v.mem), undefined);
  t.equal(v.mem.ram.subarray(BOOT_INFO_ADDR, BOOT_INFO_ADDR + 0x100).some((b) => b !== 0), false);
});

/**
 * A polling virtio-blk driver in assembly: brings up slot 0, reads sector 1 into 0x12000 with one
 * three-descriptor request, spins on the used index, and powers off with the first data dword
 * (or 0xE0 + step on failure). `features1` is the high feature word it accepts.
 */
function blkReader(features1: number): Image {
  return assemble(`
_start:
        mov esi, 0xD0000000
        mov edi, 0xE1
        mov eax, [esi]
        cmp eax, 0x74726976
        jne fail
        mov edi, 0xE2
        mov eax, [esi + 8]
        cmp eax, 2
        jne fail
        mov [esi + 0x70], 0
        mov [esi + 0x70], 1
        mov [esi + 0x70], 3
        mov [esi + 0x24], 1
        mov [esi + 0x20], ${features1}
        mov [esi + 0x24], 0
        mov [esi + 0x20], 0
        mov [esi + 0x70], 11
        mov edi, 0xE3
        mov eax, [esi + 0x70]
        test eax, 8
        je fail
        mov [esi + 0x30], 0
        mov [esi + 0x38], 8
        mov [esi + 0x80], 0x10000
        mov [esi + 0x84], 0
        mov [esi + 0x90], 0x10100
        mov [esi + 0x94], 0
        mov [esi + 0xa0], 0x10200
        mov [esi + 0xa4], 0
        mov [esi + 0x44], 1
        mov [esi + 0x70], 15
        ; header: type IN, sector 1
        mov [0x11000], 0
        mov [0x11004], 0
        mov [0x11008], 1
        mov [0x1100c], 0
        movb [0x11010], 0xff
        ; desc 0: header, NEXT -> 1
        mov [0x10000], 0x11000
        mov [0x10004], 0
        mov [0x10008], 16
        movw [0x1000c], 1
        movw [0x1000e], 1
        ; desc 1: 512 data bytes, NEXT|WRITE -> 2
        mov [0x10010], 0x12000
        mov [0x10014], 0
        mov [0x10018], 512
        movw [0x1001c], 3
        movw [0x1001e], 2
        ; desc 2: status byte, WRITE
        mov [0x10020], 0x11010
        mov [0x10024], 0
        mov [0x10028], 1
        movw [0x1002c], 2
        movw [0x1002e], 0
        ; avail: ring[0] = 0, idx = 1
        movw [0x10100], 0
        movw [0x10104], 0
        movw [0x10102], 1
        mov [esi + 0x50], 0
        mov ecx, 0
poll:
        inc ecx
        mov edi, 0xE4
        cmp ecx, 1000000
        je fail
        movzxw eax, [0x10202]
        cmp eax, 1
        jne poll
        mov edi, 0xE5
        movzxb eax, [0x11010]
        cmp eax, 0
        jne fail
        mov edi, [0x12000]
fail:
        outd 0xf4, edi
        hlt
`, { file: 'blk-reader.s' }).image;
}

function diskWithSector1(word: number): MemoryBackend {
  const d = new MemoryBackend(16);
  new DataView(d.data.buffer).setUint32(512, word, true);
  return d;
}

t.test('a guest reads sector 1 of the slot-0 disk by polling; exits are named after the slot', async (t) => {
  const exits = new Map<string, number>();
  const v = new Vm({
    kernel: blkReader(1), firmware: bootRom(), disks: [{ backend: diskWithSector1(0x5a17ab1e) }],
    onExit: (_e, _c, device) => { if (device) exits.set(device, (exits.get(device) ?? 0) + 1); },
  });
  const r = v.run();
  t.equal(r.stop, 'poweroff', r.message);
  t.equal(r.exitCode, 0x5a17ab1e);
  t.equal(v.blk[0]!.stats.reads, 1);
  t.equal(v.blk[0]!.stats.bytesRead, 512);
  t.ok((exits.get('virtio-blk0') ?? 0) >= 20, `mmio exits counted against virtio-blk0 (${exits.get('virtio-blk0')})`);
  t.equal(v.stats.countOf('mmio', 'virtio-blk0'), exits.get('virtio-blk0'), 'the exit table has a virtio-blk0 row');
  t.match(formatPerfKvmStat(v.stats, v.profile.cpuHz), /virtio-blk0:mmio/);
});

t.test('the same read behind the IOMMU (translation off: pass-through, ACCESS_PLATFORM accepted)', async (t) => {
  const v = new Vm({ kernel: blkReader(3), firmware: bootRom(), disks: [{ backend: diskWithSector1(0x10770) }], iommu: true });
  const r = v.run();
  t.equal(r.stop, 'poweroff', r.message);
  t.equal(r.exitCode, 0x10770);
  t.ok(v.iommu!.counters.untranslatedAccesses > 0, 'DMA went through the IOMMU view');
});

t.test('a driver that refuses ACCESS_PLATFORM behind the IOMMU does not get FEATURES_OK', async (t) => {
  const v = new Vm({ kernel: blkReader(1), firmware: bootRom(), disks: [{ backend: diskWithSector1(1) }], iommu: true });
  const r = v.run();
  t.equal(r.exitCode, 0xe3);
  t.match(v.slots[0]!.transport.stats.lastError ?? '', /ACCESS_PLATFORM/);
});
