/**
 * guest-os/include/platform.h and vmm/platform.ts describe the same machine from the two sides;
 * this parses the header's #defines and struct layouts and checks they agree with the TypeScript.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { projectFile } from '../../vmm/paths.js';
import * as platform from '../../vmm/platform.js';
import { COM1_IRQ, COM1_PORT } from '../../devices/serial/uart16550.js';
import { TIMER_IRQ, TIMER_PORT } from '../../devices/timer/timer.js';
import { POWER_PORT } from '../../devices/power/power.js';
import { PIC_PRIMARY_PORT, PIC_VECTOR_BASE } from '../../devices/pic/pic.js';
import { IOMMU_IRQ, IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE } from '../../devices/iommu/registers.js';

const header = readFileSync(projectFile('guest-os', 'include', 'platform.h'), 'utf8');

function defines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

interface Field { name: string; offset: number; size: number; commented?: number }

/** The fields of `struct name`, laid out as the compiler does (all members are 4-byte words). */
function structLayout(text: string, name: string, sizes: Map<string, number>, consts: Map<string, number>): { fields: Field[]; size: number } {
  const m = new RegExp(`struct ${name} \\{([\\s\\S]*?)\\n\\};`).exec(text);
  if (!m) throw new Error(`struct ${name} not found`);
  const fields: Field[] = [];
  let offset = 0;
  for (const line of m[1]!.split('\n')) {
    const f = /^\s*(unsigned int|struct (\w+))\s+(\w+)(?:\[(\w+)\])?;\s*(?:\/\*\s*(0x[0-9a-fA-F]+)?)?/.exec(line);
    if (!f) continue;
    const elem = f[1] === 'unsigned int' ? 4 : sizes.get(f[2]!)!;
    const count = f[4] === undefined ? 1 : (consts.get(f[4]) ?? Number(f[4]));
    fields.push({ name: f[3]!, offset, size: elem * count, commented: f[5] === undefined ? undefined : Number(f[5]) });
    offset += elem * count;
  }
  return { fields, size: offset };
}

t.test('every #define of platform.h has the same value in vmm/platform.ts', async (t) => {
  const defs = defines(header);
  t.ok(defs.size >= 36, `found ${defs.size} defines`);
  for (const [name, value] of defs) {
    const ts = (platform as Record<string, unknown>)[name];
    t.equal(ts, value, `${name} = 0x${value.toString(16)}`);
  }
});

t.test('the device modules use the platform numbers', async (t) => {
  t.equal(COM1_PORT, platform.COM1_PORT);
  t.equal(COM1_IRQ, platform.COM1_IRQ);
  t.equal(TIMER_PORT, platform.TIMER_PORT);
  t.equal(TIMER_IRQ, platform.TIMER_IRQ);
  t.equal(POWER_PORT, platform.POWER_PORT);
  t.equal(PIC_PRIMARY_PORT, platform.PIC_PORT);
  t.equal(PIC_VECTOR_BASE, platform.PIC_VECTOR_BASE);
  t.equal(IOMMU_MMIO_BASE, platform.IOMMU_MMIO_BASE);
  t.equal(IOMMU_MMIO_SIZE, platform.IOMMU_MMIO_SIZE);
  t.equal(IOMMU_IRQ, platform.IOMMU_IRQ);
});

t.test('struct boot_info: computed offsets, the header comments and BOOT_INFO_OFFSETS agree', async (t) => {
  const consts = defines(header);
  const sizes = new Map<string, number>();
  const memmap = structLayout(header, 'boot_memmap', sizes, consts);
  sizes.set('boot_memmap', memmap.size);
  const device = structLayout(header, 'boot_device', sizes, consts);
  sizes.set('boot_device', device.size);
  const info = structLayout(header, 'boot_info', sizes, consts);
  t.equal(memmap.size, platform.BOOT_MEMMAP_SIZE, 'sizeof(struct boot_memmap)');
  t.equal(device.size, platform.BOOT_DEVICE_SIZE, 'sizeof(struct boot_device)');
  t.equal(info.size, platform.BOOT_INFO_SIZE, 'sizeof(struct boot_info)');
  t.same(info.fields.map((f) => f.name), Object.keys(platform.BOOT_INFO_OFFSETS), 'the same fields in the same order');
  for (const f of info.fields) {
    t.equal(platform.BOOT_INFO_OFFSETS[f.name as keyof typeof platform.BOOT_INFO_OFFSETS], f.offset, `${f.name} at 0x${f.offset.toString(16)}`);
    if (f.commented !== undefined) t.equal(f.commented, f.offset, `${f.name}: the comment says 0x${f.commented.toString(16)}`);
  }
  t.equal(info.fields.filter((f) => f.commented !== undefined).length, info.fields.length, 'every field has its offset in a comment');
  t.match(header, /devices\[BOOT_MAX_DEVICES\];\s*\/\*\s*0x60 \.\. 0xe0/, 'the comment on devices[] gives the end');
  t.ok(platform.BOOT_INFO_ADDR + platform.BOOT_INFO_SIZE <= platform.BOOT_CMDLINE_ADDR, 'the block ends before the command line');
});

t.test('slot helpers follow the header', async (t) => {
  for (let i = 0; i < platform.VIRTIO_MMIO_SLOTS; i++) {
    t.equal(platform.slotBase(i), 0xd0000000 + i * 0x1000);
    t.equal(platform.slotIrq(i), 5 + i);
  }
  t.equal(platform.slotIrq(platform.VIRTIO_MMIO_SLOTS - 1), 8, 'lines 5..8');
  t.not(platform.slotIrq(3), platform.IOMMU_IRQ);
  t.not(platform.slotIrq(0), platform.COM1_IRQ);
});
