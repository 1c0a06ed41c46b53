/* main.c: disk boot (docs/firmware.md). start.s comes here when the VMM did not load a kernel:
 * read fw_cfg, find the virtio-mmio devices, find the first block device that holds a valid
 * boot file system (docs/disk-format.md), load its kernel (an MXI image, docs/image-format.md),
 * fill the boot-information block (docs/boot.md) and jump. Every failure is one line on COM1
 * and a power-off with status 255: the firmware never hangs. */
#include "fw.h"

#define BI ((struct boot_info *)BOOT_INFO_ADDR)
#define VIRTIO_MAGIC 0x74726976u
#define VIRTIO_ID_BLOCK 2

/* Everything the firmware writes is here, in .bss (low RAM), never in the ROM. */
static unsigned char sector0[BOOTFS_SECTOR];
static struct bootfs_entry kernel_entry;
static unsigned int mem_size;
static struct fw_blk disk;

static unsigned int cfg_u32(unsigned int item) {
    fw_outw(FWCFG_SELECT_PORT, item);
    return fw_ind(FWCFG_DATA_PORT);
}

static unsigned int mmio_rd(unsigned int addr) {
    return *(volatile unsigned int *)addr;
}

/* Records every virtio-mmio device in the boot-information block, in slot order. */
static void probe_devices(void) {
    unsigned int slot;
    for (slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        unsigned int base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
        unsigned int id;
        struct boot_device *dev;
        if (mmio_rd(base) != VIRTIO_MAGIC) continue;
        if (mmio_rd(base + 4) != 2) continue;          /* only virtio-mmio version 2 */
        id = mmio_rd(base + 8);
        if (id == 0) continue;                          /* a placeholder slot */
        if (BI->device_count == BOOT_MAX_DEVICES) break;
        dev = &BI->devices[BI->device_count];
        dev->mmio_base = base;
        dev->mmio_size = VIRTIO_MMIO_STRIDE;
        dev->irq = VIRTIO_IRQ_BASE + slot;
        dev->kind = (id & 0xFFFF) | (slot << 16);
        BI->device_count++;
    }
}

/* The end of the low staging area: FW_STAGE_LIMIT, or less in a very small RAM. */
static unsigned int stage_limit(void) {
    return mem_size < FW_STAGE_LIMIT ? (mem_size > FW_STAGE_BASE ? mem_size : FW_STAGE_BASE) : FW_STAGE_LIMIT;
}

/* Sectors of `bytes` bytes, without overflow for any u32. */
static unsigned int sectors_for(unsigned int bytes) {
    return bytes / BOOTFS_SECTOR + (bytes % BOOTFS_SECTOR != 0);
}

/* Is the superblock in sector0 a VBFS one that fits this disk? (The checks of readBootDisk
 * that need only sector 0.) */
static int superblock_ok(const struct bootfs_super *sb, struct fw_blk *d) {
    unsigned int i;
    if (sb->magic != BOOTFS_MAGIC || sb->version != BOOTFS_VERSION) return 0;
    if (d->capacity_lo == 0 && d->capacity_hi == 0) return 0;
    if (d->capacity_hi == 0 && sb->total_sectors > d->capacity_lo) return 0;
    if (sb->file_count == 0 || sb->dir_sector == 0) return 0;
    if (sb->dir_sectors != sb->file_count / 8 + (sb->file_count % 8 != 0)) return 0;
    if (sb->dir_sector > sb->total_sectors || sb->dir_sectors > sb->total_sectors - sb->dir_sector) return 0;
    if (sb->cmdline_len > BOOTFS_CMDLINE_MAX - 1) return 0;
    for (i = 0; i < sb->cmdline_len; i++) {
        unsigned char c = sector0[BOOTFS_CMDLINE_OFF + i];
        if (c < 0x20 || c > 0x7E) return 0;
    }
    return 1;
}

/* Reads and checks the directory into the staging area; finds the BOOT entry. */
static int directory_ok(const struct bootfs_super *sb, struct fw_blk *d) {
    unsigned char *dir = (unsigned char *)FW_STAGE_BASE;
    const struct bootfs_entry *e;
    unsigned int i;
    if (sb->dir_sectors > (stage_limit() - FW_STAGE_BASE) / BOOTFS_SECTOR) return 0;
    fw_blk_read(d, sb->dir_sector, sb->dir_sectors, dir);
    if (fw_crc32(dir, sb->file_count * sizeof(struct bootfs_entry)) != sb->dir_checksum) return 0;
    e = (const struct bootfs_entry *)dir;
    for (i = 0; i < sb->file_count; i++, e++) {
        if (e->flags & BOOTFS_F_BOOT) {
            memcpy(&kernel_entry, e, sizeof(kernel_entry));
            return 1;
        }
    }
    return 0;
}

static void bad_kernel(const char *what) {
    fw_fail("bad kernel image: ", what);
}

static void bad_segment(unsigned int i, const char *what) {
    fw_puts("bootrom: bad kernel image: segment ");
    fw_putu(i);
    fw_puts(what);
    fw_puts("\n");
    fw_power_off();
}

/* [a, a+an) and [b, b+bn) share a byte (both non-empty, neither wrapping). */
static int overlaps(unsigned int a, unsigned int an, unsigned int b, unsigned int bn) {
    return an != 0 && bn != 0 && a < b + bn && b < a + an;
}

/* Validates the MXI image in [img, img+size) and loads it; returns its entry point.
 * `stage`/`stage_len` is where the file itself sits, which no segment may overwrite. */
static unsigned int load_kernel(const unsigned char *img, unsigned int size, unsigned int stage, unsigned int stage_len,
                                unsigned int *end) {
    const struct mxi_header *h = (const struct mxi_header *)img;
    const struct mxi_segment *seg;
    unsigned int i;
    unsigned int j;
    unsigned int top = FW_KERNEL_MIN;
    int entry_ok = 0;

    if (size < MXI_HEADER_SIZE) bad_kernel("file shorter than the MXI header");
    if (h->magic != MXI_MAGIC) bad_kernel("bad magic (not an MXI image)");
    if (h->version != MXI_VERSION || h->header_size != MXI_HEADER_SIZE || h->flags != 0) {
        bad_kernel("unsupported version or header");
    }
    if (h->segment_count == 0) bad_kernel("no segments");
    if (h->segment_count > MXI_MAX_SEGMENTS) bad_kernel("too many segments");
    if (h->segment_offset > size || h->segment_count * MXI_SEGMENT_SIZE > size - h->segment_offset) {
        bad_kernel("segment table outside the file");
    }
    /* The table may sit at any offset (docs/image-format.md): mx86 loads need no alignment. */
    seg = (const struct mxi_segment *)(img + h->segment_offset);
    for (i = 0; i < h->segment_count; i++) {
        const struct mxi_segment *s = &seg[i];
        if (s->flags & ~MXI_SEG_FLAGS_MASK) bad_segment(i, " has unknown flags");
        if (s->file_offset > size || s->file_size > size - s->file_offset) bad_segment(i, " data outside the file");
        if (s->mem_size < s->file_size) bad_segment(i, " memory size smaller than its file size");
        if (s->mem_size == 0) continue;
        if (s->paddr < FW_KERNEL_MIN) bad_segment(i, " below 1 MiB");
        if (s->paddr > mem_size || s->mem_size > mem_size - s->paddr) bad_segment(i, " outside RAM");
        if (overlaps(s->paddr, s->mem_size, stage, stage_len)) bad_segment(i, " overlaps the firmware's load buffer");
        for (j = 0; j < i; j++) {
            if (overlaps(s->paddr, s->mem_size, seg[j].paddr, seg[j].mem_size)) bad_segment(i, " overlaps another segment");
        }
        if ((s->flags & MXI_SEG_X) && h->entry >= s->vaddr && h->entry - s->vaddr < s->mem_size) entry_ok = 1;
        if (s->paddr + s->mem_size > top) top = s->paddr + s->mem_size;
    }
    if (!entry_ok) bad_kernel("entry point not inside an executable segment");

    /* Everything checked: now copy. Segment data never overlaps the staged file (checked). */
    for (i = 0; i < h->segment_count; i++) {
        const struct mxi_segment *s = &seg[i];
        if (s->mem_size == 0) continue;
        memcpy((void *)s->paddr, img + s->file_offset, s->file_size);
        memset((void *)(s->paddr + s->file_size), 0, s->mem_size - s->file_size);
    }
    *end = (top + 0xFFF) & ~0xFFFu;
    return h->entry;
}

/* The command line: the VMM's (fw_cfg) when it gave one, else the disk's default. */
static void set_cmdline(const struct bootfs_super *sb) {
    unsigned char *dst = (unsigned char *)BOOT_CMDLINE_ADDR;
    unsigned int len = cfg_u32(FWCFG_CMDLINE_LEN);
    unsigned int i;
    if (len != 0) {
        if (len > BOOT_CMDLINE_MAX - 1) len = BOOT_CMDLINE_MAX - 1;
        fw_outw(FWCFG_SELECT_PORT, FWCFG_CMDLINE);
        for (i = 0; i < len; i += 4) {                  /* four bytes per exit */
            unsigned int w = fw_ind(FWCFG_DATA_PORT);
            dst[i] = (unsigned char)w;
            dst[i + 1] = (unsigned char)(w >> 8);
            dst[i + 2] = (unsigned char)(w >> 16);
            dst[i + 3] = (unsigned char)(w >> 24);
        }
    } else {
        len = sb->cmdline_len;
        memcpy(dst, sector0 + BOOTFS_CMDLINE_OFF, len);
    }
    dst[len] = 0;
    BI->cmdline = BOOT_CMDLINE_ADDR;
    BI->cmdline_len = len;
}

void fw_main(void) {
    const struct bootfs_super *sb = (const struct bootfs_super *)sector0;
    unsigned int i;
    unsigned int boot = BOOT_NO_DEVICE;
    unsigned int stage;
    unsigned int stage_len;
    unsigned int sectors;
    unsigned int entry;
    unsigned int end;

    if (cfg_u32(FWCFG_SIGNATURE) != FWCFG_SIGNATURE_VALUE) fw_fail("no fw_cfg device", "");
    mem_size = cfg_u32(FWCFG_MEM_SIZE);
    memset(BI, 0, sizeof(struct boot_info));
    probe_devices();

    for (i = 0; i < BI->device_count; i++) {
        if ((BI->devices[i].kind & 0xFFFF) != VIRTIO_ID_BLOCK) continue;
        fw_blk_init(&disk, BI->devices[i].kind >> 16);
        if (disk.capacity_lo == 0 && disk.capacity_hi == 0) {   /* an empty disk: nothing to read */
            fw_blk_reset(&disk);
            continue;
        }
        fw_blk_read(&disk, 0, 1, sector0);
        if (superblock_ok(sb, &disk) && directory_ok(sb, &disk)) {
            boot = i;
            break;
        }
        fw_blk_reset(&disk);
    }
    if (boot == BOOT_NO_DEVICE) fw_fail_n("no bootable disk (", BI->device_count, " virtio devices found)");

    /* The kernel file: where it lies on the disk, and where to stage it in RAM. */
    sectors = sectors_for(kernel_entry.size);
    if (kernel_entry.start_sector < sb->dir_sector + sb->dir_sectors ||
        kernel_entry.start_sector > sb->total_sectors || sectors > sb->total_sectors - kernel_entry.start_sector) {
        bad_kernel("kernel file outside the disk");
    }
    stage_len = sectors * BOOTFS_SECTOR;
    if (stage_len <= stage_limit() - FW_STAGE_BASE) {
        stage = FW_STAGE_BASE;
    } else {
        /* Too big for low RAM: the top of RAM, which the kernel's segments must then avoid. */
        stage_len = (stage_len + 0xFFF) & ~0xFFFu;
        if (mem_size < FW_KERNEL_MIN || stage_len > mem_size - FW_KERNEL_MIN) bad_kernel("kernel file larger than RAM");
        stage = mem_size - stage_len;
    }
    fw_blk_read(&disk, kernel_entry.start_sector, sectors, (unsigned char *)stage);
    if (fw_crc32((const unsigned char *)stage, kernel_entry.size) != kernel_entry.checksum) {
        fw_fail("kernel checksum mismatch", "");
    }
    entry = load_kernel((const unsigned char *)stage, kernel_entry.size, stage, stage_len, &end);

    BI->mem_size = mem_size;
    set_cmdline(sb);
    BI->kernel_entry = entry;
    BI->kernel_end = end;
    BI->boot_device = boot;
    BI->iommu_base = cfg_u32(FWCFG_IOMMU_BASE);
    BI->iommu_irq = BI->iommu_base != 0 ? cfg_u32(FWCFG_IOMMU_IRQ) : 0;
    /* As for a direct boot (vmm/bootinfo.ts standardMemmap); a loaded kernel implies RAM > 1 MiB. */
    BI->memmap_count = 2;
    BI->memmap[0].base = 0;
    BI->memmap[0].length = FW_KERNEL_MIN;
    BI->memmap[0].type = MEMMAP_RESERVED;
    BI->memmap[1].base = FW_KERNEL_MIN;
    BI->memmap[1].length = mem_size - FW_KERNEL_MIN;
    BI->memmap[1].type = MEMMAP_USABLE;
    /* Last: the kernel finds the disk as after power-on. */
    fw_blk_reset(&disk);
    BI->magic = BOOT_MAGIC;
    fw_enter_kernel(entry);
}
