/**
 * fw_cfg (devices/fwcfg/fwcfg.ts): select with a 16-bit write to 0x510, read bytes or dwords
 * from 0x511; past the end 0; unknown items empty. Unit level and from a guest.
 */
import t from 'tap';
import { FwCfg } from '../../devices/fwcfg/fwcfg.js';
import { bootRom } from '../../firmware/build.js';
import { assemble } from '../../toolchain/as/assemble.js';
import {
  FWCFG_CMDLINE, FWCFG_CMDLINE_LEN, FWCFG_IOMMU_BASE, FWCFG_IOMMU_IRQ, FWCFG_MEM_SIZE, FWCFG_SIGNATURE,
  FWCFG_SIGNATURE_VALUE, IOMMU_IRQ, IOMMU_MMIO_BASE,
} from '../../vmm/platform.js';
import { Vm } from '../../vmm/vm.js';

const SEL = 0;
const DATA = 1;

function dev(cmdline = 'console=ttyS0 run=a', iommu = false): FwCfg {
  return new FwCfg({ memSize: 64 << 20, cmdline, iommuBase: iommu ? IOMMU_MMIO_BASE : 0, iommuIrq: iommu ? IOMMU_IRQ : 0 });
}

function readItem(d: FwCfg, item: number, n: number): number[] {
  d.write(SEL, 2, item);
  return Array.from({ length: n }, () => d.read(DATA, 1));
}

t.test('32-bit items read as one dword or as four bytes, little-endian', async (t) => {
  const d = dev();
  d.write(SEL, 2, FWCFG_SIGNATURE);
  t.equal(d.read(DATA, 4), FWCFG_SIGNATURE_VALUE);
  t.same(readItem(d, FWCFG_SIGNATURE, 4), [0x56, 0x46, 0x57, 0x43], '"VFWC"');
  d.write(SEL, 2, FWCFG_MEM_SIZE);
  t.equal(d.read(DATA, 4), 64 << 20);
  d.write(SEL, 2, FWCFG_CMDLINE_LEN);
  t.equal(d.read(DATA, 4), 'console=ttyS0 run=a'.length);
  d.write(SEL, 2, FWCFG_IOMMU_BASE);
  t.equal(d.read(DATA, 4), 0, 'no IOMMU');
  d.write(SEL, 2, FWCFG_IOMMU_IRQ);
  t.equal(d.read(DATA, 4), 0);
});

t.test('the command line, byte by byte, then zeros past the end', async (t) => {
  const d = dev('ab');
  t.same(readItem(d, FWCFG_CMDLINE, 5), [0x61, 0x62, 0, 0, 0]);
  d.write(SEL, 2, FWCFG_CMDLINE);
  t.equal(d.read(DATA, 4), 0x6261, 'a dword read straddling the end pads with 0');
  t.equal(d.read(DATA, 4), 0);
});

t.test('an empty command line has length 0 and no bytes', async (t) => {
  const d = dev('');
  d.write(SEL, 2, FWCFG_CMDLINE_LEN);
  t.equal(d.read(DATA, 4), 0);
  t.same(readItem(d, FWCFG_CMDLINE, 2), [0, 0]);
});

t.test('UTF-8 command lines are given as their bytes', async (t) => {
  const d = dev('é');
  d.write(SEL, 2, FWCFG_CMDLINE_LEN);
  t.equal(d.read(DATA, 4), 2);
  t.same(readItem(d, FWCFG_CMDLINE, 2), [0xc3, 0xa9]);
});

t.test('the IOMMU items when there is one', async (t) => {
  const d = dev('', true);
  d.write(SEL, 2, FWCFG_IOMMU_BASE);
  t.equal(d.read(DATA, 4), IOMMU_MMIO_BASE);
  d.write(SEL, 2, FWCFG_IOMMU_IRQ);
  t.equal(d.read(DATA, 4), IOMMU_IRQ);
});

t.test('unknown items are empty; selecting again rewinds; the selector is 16 bits', async (t) => {
  const d = dev();
  t.same(readItem(d, 0x1234, 3), [0, 0, 0]);
  d.write(SEL, 2, FWCFG_SIGNATURE);
  d.read(DATA, 1);
  d.write(SEL, 2, FWCFG_SIGNATURE);
  t.equal(d.read(DATA, 1), 0x56, 'rewound');
  d.write(SEL, 4, 0x10000 | FWCFG_MEM_SIZE);
  t.equal(d.read(DATA, 4), 64 << 20, 'high bits of a wider write are ignored');
  t.equal(d.read(SEL, 2), FWCFG_MEM_SIZE, 'the select port reads back the selector');
  d.write(DATA, 1, 0xff);
  t.equal(d.stats.ignored, 2, 'data writes and select reads are counted, not obeyed');
  t.equal(d.stats.selects, 4);
});

t.test('a guest reads the signature, memory size and command line through the ports', async (t) => {
  // Powers off with mem_size >> 20 + the third command-line byte, after checking the signature.
  const guest = assemble(`
_start:
        mov eax, 0
        outw 0x510, eax
        ind eax, 0x511
        mov edi, 0xEE
        cmp eax, ${FWCFG_SIGNATURE_VALUE}
        jne done
        mov eax, ${FWCFG_MEM_SIZE}
        outw 0x510, eax
        ind edi, 0x511
        shr edi, 20
        mov eax, ${FWCFG_CMDLINE}
        outw 0x510, eax
        inb eax, 0x511
        inb eax, 0x511
        inb eax, 0x511
        add edi, eax
done:
        outd 0xf4, edi
        hlt
`, { file: 'fwcfg-probe.s' }).image;
  const vm = new Vm({ kernel: guest, firmware: bootRom(), cmdline: 'ab\x05', memSize: 16 << 20 });
  const r = vm.run();
  t.equal(r.stop, 'poweroff', r.message);
  t.equal(r.exitCode, 16 + 5);
  t.equal(vm.stats.countOf('io', 'fw-cfg'), 8, 'each port access is an io exit on fw-cfg');
});
