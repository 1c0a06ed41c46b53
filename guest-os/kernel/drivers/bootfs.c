/* bootfs.c: the boot disk's read-only file system (guest-os/include/bootfs.h, docs/disk-format.md).
 * The boot disk is the first block device whose sector 0 holds a VBFS superblock whose directory
 * checksum is right; the directory is kept in memory, files are read sector by sector on demand.
 * The other block devices are the data disks, in slot order. */
#include "virtio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct blkdev *boot_dev;
static struct bootfs_entry *dir;
static unsigned nfiles;
static char cmdline[BOOTFS_CMDLINE_MAX];
static uint32_t crc_table[256];

static void crc_init(void) {
    uint32_t i, j, c;
    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* CRC-32 (IEEE 802.3, as zlib's crc32). */
static uint32_t crc32(const uint8_t *p, unsigned n) {
    uint32_t c = 0xffffffffu;
    unsigned i;
    for (i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* Why the superblock and directory of `d` are not a VBFS, or NULL (and then dir/nfiles/cmdline
 * are set). */
static const char *try_mount(struct blkdev *d, uint8_t *sec) {
    const struct bootfs_super *sb = (const struct bootfs_super *)sec;
    struct bootfs_entry *ents;
    unsigned i, bytes;
    if (blk_sectors(d) == 0 || blk_read(d, 0, sec, 1) != 0) return "cannot read sector 0";
    if (sb->magic != BOOTFS_MAGIC) return "no VBFS superblock";
    if (sb->version != BOOTFS_VERSION) return "unsupported VBFS version";
    bytes = sb->file_count * sizeof(struct bootfs_entry);
    if (sb->file_count > 0xffff || sb->dir_sector == 0 || (uint64_t)sb->dir_sectors * BOOTFS_SECTOR < bytes ||
        sb->dir_sector + sb->dir_sectors > blk_sectors(d) || sb->total_sectors > blk_sectors(d))
        return "directory out of range";
    ents = malloc(sb->dir_sectors * BOOTFS_SECTOR + 1);
    if (ents == NULL) return "directory too large for memory";
    if (sb->dir_sectors != 0 && blk_read(d, sb->dir_sector, ents, sb->dir_sectors) != 0) {
        free(ents);
        return "cannot read the directory";
    }
    if (crc32((const uint8_t *)ents, bytes) != sb->dir_checksum) {
        free(ents);
        return "directory checksum mismatch";
    }
    for (i = 0; i < sb->file_count; i++) {
        const struct bootfs_entry *e = &ents[i];
        if (memchr(e->name, 0, BOOTFS_NAME_MAX) == NULL || e->start_sector > blk_sectors(d) ||
            (e->size + BOOTFS_SECTOR - 1) / BOOTFS_SECTOR > blk_sectors(d) - e->start_sector) {
            free(ents);
            return "a directory entry is out of range";
        }
    }
    dir = ents;
    nfiles = sb->file_count;
    i = sb->cmdline_len < BOOTFS_CMDLINE_MAX ? sb->cmdline_len : BOOTFS_CMDLINE_MAX - 1;
    memcpy(cmdline, sec + BOOTFS_CMDLINE_OFF, i);
    cmdline[i] = 0;
    return NULL;
}

int bootfs_mount(void) {
    uint8_t *sec;
    int i;
    if (boot_dev != NULL) return 0;
    sec = malloc(BOOTFS_SECTOR);
    if (sec == NULL) return -E_NOMEM;
    crc_init();
    for (i = 0; i < blk_count(); i++) {
        const char *why = try_mount(blk_get(i), sec);
        if (why == NULL) {
            boot_dev = blk_get(i);
            printf("bootfs: %u files on virtio-blk%d\n", nfiles, blk_index(boot_dev));
            free(sec);
            return 0;
        }
        if (strcmp(why, "no VBFS superblock") != 0) printf("bootfs: virtio-blk%d: %s\n", blk_index(blk_get(i)), why);
    }
    free(sec);
    printf("bootfs: no boot disk found\n");
    return -E_NOENT;
}

const struct bootfs_entry *bootfs_find(const char *name) {
    unsigned i;
    for (i = 0; i < nfiles; i++)
        if (strcmp(dir[i].name, name) == 0) return &dir[i];
    return NULL;
}

const struct bootfs_entry *bootfs_entry_at(unsigned index) {
    return index < nfiles ? &dir[index] : NULL;
}

/* Reads only the sectors the range touches: partial first and last sectors through a bounce
 * sector, whole sectors straight into `buf`. Returns the bytes read (0 at or past the end). */
int bootfs_read(const struct bootfs_entry *f, unsigned offset, void *buf, unsigned len) {
    uint8_t *out = buf, *bounce = NULL;
    unsigned done = 0;
    int err = 0;
    if (boot_dev == NULL || f == NULL) return -E_NOENT;
    if (offset >= f->size) return 0;
    if (len > f->size - offset) len = f->size - offset;
    while (done < len && err == 0) {
        unsigned pos = offset + done;
        uint32_t sector = f->start_sector + pos / BOOTFS_SECTOR;
        unsigned in = pos % BOOTFS_SECTOR, n;
        if (in == 0 && len - done >= BOOTFS_SECTOR) {
            unsigned whole = (len - done) / BOOTFS_SECTOR;
            err = blk_read(boot_dev, sector, out + done, whole);
            done += whole * BOOTFS_SECTOR;
            continue;
        }
        if (bounce == NULL && (bounce = malloc(BOOTFS_SECTOR)) == NULL) return -E_NOMEM;
        err = blk_read(boot_dev, sector, bounce, 1);
        n = BOOTFS_SECTOR - in;
        if (n > len - done) n = len - done;
        memcpy(out + done, bounce + in, n);
        done += n;
    }
    free(bounce);
    return err != 0 ? -E_IO : (int)len;
}

const char *bootfs_cmdline(void) {
    return cmdline;
}

int datadisk_count(void) {
    return blk_count() - (boot_dev != NULL ? 1 : 0);
}

struct blkdev *datadisk_get(int index) {
    int i, k = 0;
    for (i = 0; i < blk_count(); i++) {
        if (blk_get(i) == boot_dev) continue;
        if (k++ == index) return blk_get(i);
    }
    return NULL;
}
