/* fw.h: what the parts of the boot ROM share (docs/firmware.md). The ROM is read-only: no
 * global here may have an initialiser that the code later changes. Initialised data (string
 * literals, const tables) lives in the ROM's .data and is only read; every variable the
 * firmware writes lives in .bss, in low RAM (firmware/build.ts places it). */
#ifndef _VAMOS_FW_H
#define _VAMOS_FW_H

#include "platform.h"
#include "bootfs.h"
#include "mxi.h"

#define BOOTFS_SECTOR_BYTES BOOTFS_SECTOR

/* Low RAM as the firmware uses it. Everything below 1 MiB is reserved in the memory map. */
#define FW_STACK_TOP      0x7000u     /* grows down; start.s sets it */
#define FW_STAGE_BASE     0x10000u    /* the directory and the kernel file are read here ... */
#define FW_STAGE_LIMIT    0xA0000u    /* ... when they fit; a larger kernel goes to the top of RAM */
#define FW_KERNEL_MIN     0x100000u   /* kernels load at or above 1 MiB */
#define FW_EXIT_FAIL      255

/* start.s */
unsigned int fw_inb(unsigned int port);
unsigned int fw_ind(unsigned int port);
void fw_outb(unsigned int port, unsigned int value);
void fw_outw(unsigned int port, unsigned int value);
void fw_outd(unsigned int port, unsigned int value);
void fw_enter_kernel(unsigned int entry);   /* eax = BOOT_MAGIC, ebx = BOOT_INFO_ADDR, ecx = entry */
void fw_halt(void);

/* fast.s */
unsigned int fw_crc32_words(unsigned int crc, const void *p, unsigned int words);
void fw_copy_words(void *dst, const void *src, unsigned int words);
void fw_zero_words(void *dst, unsigned int words);

/* console.c: COM1 output and the one-line failures. */
void fw_puts(const char *s);
void fw_putu(unsigned int n);
void fw_fail(const char *what, const char *detail);        /* "bootrom: <what><detail>\n", power off 255 */
void fw_fail_n(const char *before, unsigned int n, const char *after);
void fw_power_off(void);

/* lib.c */
void *memcpy(void *dst, const void *src, unsigned int n);
void *memset(void *dst, int c, unsigned int n);
unsigned int fw_crc32(const unsigned char *p, unsigned int n);

/* virtio.c: the polling virtio-blk driver. */
struct fw_blk {
    unsigned int base;          /* MMIO window */
    unsigned int slot;
    unsigned int capacity_lo;   /* sectors (the high word must be 0 for us to use the disk) */
    unsigned int capacity_hi;
    unsigned int qsize;
    unsigned short last_used;
};
/* Each fails the boot itself on any error ("bootrom: disk read error on slot N"). */
void fw_blk_init(struct fw_blk *d, unsigned int slot);
void fw_blk_read(struct fw_blk *d, unsigned int sector, unsigned int count, unsigned char *dst);
void fw_blk_reset(struct fw_blk *d);

#endif
