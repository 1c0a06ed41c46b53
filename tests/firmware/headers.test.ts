/**
 * The C headers the firmware and the kernel read agree with the TypeScript that writes the
 * formats: guest-os/include/mxi.h with toolchain/image/format.ts (docs/image-format.md), and
 * guest-os/include/bootfs.h with toolchain/disk/bootfs.ts (docs/disk-format.md). Numbers are
 * compared directly; struct layouts by compiling C whose array sizes go negative when an
 * offset is wrong (vamos cc lays structs out as the firmware sees them).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { compileC } from '../../toolchain/cc/driver.js';
import * as mxi from '../../toolchain/image/format.js';
import * as vbfs from '../../toolchain/disk/bootfs.js';
import { projectFile } from '../../vmm/paths.js';

function defines(header: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(projectFile('guest-os', 'include', header), 'utf8').matchAll(/^#define\s+(\w+)\s+(0x[0-9A-Fa-f]+|\d+)u?\b/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

t.test('mxi.h numbers match format.ts', async (t) => {
  const d = defines('mxi.h');
  t.equal(d.get('MXI_MAGIC'), new DataView(new TextEncoder().encode(mxi.MAGIC).buffer).getUint32(0, true));
  t.equal(d.get('MXI_VERSION'), mxi.VERSION);
  t.equal(d.get('MXI_HEADER_SIZE'), mxi.HEADER_SIZE);
  t.equal(d.get('MXI_SEGMENT_SIZE'), mxi.SEGMENT_ENTRY_SIZE);
  t.equal(d.get('MXI_SYMBOL_SIZE'), mxi.SYMBOL_ENTRY_SIZE);
  t.equal(d.get('MXI_MAX_SEGMENTS'), mxi.MAX_SEGMENTS);
  t.equal(d.get('MXI_MAX_SYMBOLS'), mxi.MAX_SYMBOLS);
  t.equal(d.get('MXI_NO_NAME'), mxi.NO_NAME);
  t.equal(d.get('MXI_SEG_X'), mxi.SEG_X);
  t.equal(d.get('MXI_SEG_W'), mxi.SEG_W);
  t.equal(d.get('MXI_SEG_R'), mxi.SEG_R);
  t.equal(d.get('MXI_SEG_FLAGS_MASK'), mxi.SEG_FLAGS_MASK);
  t.equal(d.get('MXI_SYM_FUNC'), mxi.SYMBOL_KINDS.indexOf('func'));
  t.equal(d.get('MXI_SYM_OBJECT'), mxi.SYMBOL_KINDS.indexOf('object'));
  t.equal(d.get('MXI_SYM_LABEL'), mxi.SYMBOL_KINDS.indexOf('label'));
});

t.test('bootfs.h numbers match bootfs.ts', async (t) => {
  const d = defines('bootfs.h');
  t.equal(d.get('BOOTFS_SECTOR'), vbfs.BOOTFS_SECTOR);
  t.equal(d.get('BOOTFS_MAGIC'), vbfs.BOOTFS_MAGIC);
  t.equal(d.get('BOOTFS_VERSION'), vbfs.BOOTFS_VERSION);
  t.equal(d.get('BOOTFS_NAME_MAX'), vbfs.BOOTFS_NAME_MAX);
  t.equal(d.get('BOOTFS_CMDLINE_OFF'), vbfs.BOOTFS_CMDLINE_OFF);
  t.equal(d.get('BOOTFS_F_BOOT'), vbfs.BOOTFS_F_BOOT);
  t.equal(d.get('BOOTFS_F_EXEC'), vbfs.BOOTFS_F_EXEC);
});

t.test('struct layouts are those of the documents', async (t) => {
  const layouts: Record<string, [string, number][]> = {
    // docs/image-format.md
    mxi_header: [['magic', 0], ['version', 4], ['header_size', 6], ['entry', 8], ['segment_count', 12], ['symbol_count', 14],
      ['segment_offset', 16], ['symbol_offset', 20], ['strtab_offset', 24], ['strtab_size', 28], ['flags', 32]],
    mxi_segment: [['paddr', 0], ['vaddr', 4], ['file_offset', 8], ['file_size', 12], ['mem_size', 16], ['flags', 20], ['name', 24]],
    mxi_symbol: [['name', 0], ['value', 4], ['size', 8], ['kind', 12]],
    // docs/disk-format.md
    bootfs_super: [['magic', 0], ['version', 4], ['total_sectors', 8], ['file_count', 12], ['dir_sector', 16],
      ['dir_sectors', 20], ['dir_checksum', 24], ['cmdline_len', 28]],
    bootfs_entry: [['name', 0], ['start_sector', 0x30], ['size', 0x34], ['flags', 0x38], ['checksum', 0x3c]],
  };
  const sizes: Record<string, number> = {
    mxi_header: mxi.HEADER_SIZE, mxi_segment: mxi.SEGMENT_ENTRY_SIZE, mxi_symbol: mxi.SYMBOL_ENTRY_SIZE,
    bootfs_super: 32, bootfs_entry: vbfs.BOOTFS_ENTRY_SIZE,
  };
  let src = '#include <stddef.h>\n#include "mxi.h"\n#include "bootfs.h"\n';
  let n = 0;
  for (const [struct, fields] of Object.entries(layouts)) {
    for (const [field, off] of fields) src += `char check${n++}[offsetof(struct ${struct}, ${field}) == ${off} ? 1 : -1];\n`;
    src += `char check${n++}[sizeof(struct ${struct}) == ${sizes[struct]} ? 1 : -1];\n`;
  }
  t.doesNotThrow(() => compileC(src, 'layout-check.c', { includeDirs: [projectFile('guest-os', 'include')] }));
  // And the check can fail: a wrong offset does not compile.
  t.throws(() => compileC('#include <stddef.h>\n#include "mxi.h"\nchar bad[offsetof(struct mxi_header, entry) == 12 ? 1 : -1];\n',
    'bad.c', { includeDirs: [projectFile('guest-os', 'include')] }));
});
