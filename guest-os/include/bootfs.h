/* bootfs.h: the read-only file system of a vamos boot disk (docs/disk-format.md), as the
 * firmware and the kernel read it. `vamos mkdisk` (toolchain/disk/) writes it. */
#ifndef _VAMOS_BOOTFS_H
#define _VAMOS_BOOTFS_H

#define BOOTFS_SECTOR       512
#define BOOTFS_MAGIC        0x53464256u   /* "VBFS" */
#define BOOTFS_VERSION      1
#define BOOTFS_NAME_MAX     48            /* name bytes including the NUL */
#define BOOTFS_CMDLINE_OFF  0x40          /* default command line in the superblock, NUL-terminated */
#define BOOTFS_CMDLINE_MAX  (BOOTFS_SECTOR - BOOTFS_CMDLINE_OFF)
#define BOOTFS_F_BOOT       1             /* the kernel image the firmware loads */
#define BOOTFS_F_EXEC       2             /* a user program (an MXI image) */

/* Sector 0. */
struct bootfs_super {
    unsigned int magic;          /* 0x00 BOOTFS_MAGIC */
    unsigned int version;        /* 0x04 BOOTFS_VERSION */
    unsigned int total_sectors;  /* 0x08 sectors in the image */
    unsigned int file_count;     /* 0x0c entries in the directory */
    unsigned int dir_sector;     /* 0x10 first sector of the directory */
    unsigned int dir_sectors;    /* 0x14 sectors the directory occupies */
    unsigned int dir_checksum;   /* 0x18 CRC-32 (IEEE) of the file_count * 64 directory bytes */
    unsigned int cmdline_len;    /* 0x1c bytes of the default command line, without the NUL */
    /* 0x20..0x3f reserved (zero); 0x40.. default command line */
};

/* Directory entries, 64 bytes each, packed from dir_sector on. Files are contiguous runs of
 * whole sectors, in directory order, after the directory. */
struct bootfs_entry {
    char name[BOOTFS_NAME_MAX];  /* 0x00 NUL-terminated, unique, [A-Za-z0-9._-]+ */
    unsigned int start_sector;   /* 0x30 */
    unsigned int size;           /* 0x34 bytes */
    unsigned int flags;          /* 0x38 BOOTFS_F_* */
    unsigned int checksum;       /* 0x3c CRC-32 (IEEE) of the file's bytes */
};

#endif
