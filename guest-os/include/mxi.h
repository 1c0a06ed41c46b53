/* mxi.h: the mx86 image format (MXI, docs/image-format.md) as the boot ROM and the kernel's
 * program loader read it. toolchain/image/format.ts holds the same numbers for the toolchain.
 * All fields are little-endian; the structures below have no padding (every field is 4 bytes
 * wide except the header's 16-bit ones, which come in pairs). */
#ifndef _VAMOS_MXI_H
#define _VAMOS_MXI_H

#define MXI_MAGIC           0x3149584Du   /* "MXI1" read as a little-endian u32 */
#define MXI_VERSION         1
#define MXI_HEADER_SIZE     36
#define MXI_SEGMENT_SIZE    28
#define MXI_SYMBOL_SIZE     16
#define MXI_MAX_SEGMENTS    64
#define MXI_MAX_SYMBOLS     16384
#define MXI_NO_NAME         0xFFFFFFFFu   /* segment name offset meaning "no name" */

/* Segment flags (ELF's numbering). */
#define MXI_SEG_X           1
#define MXI_SEG_W           2
#define MXI_SEG_R           4
#define MXI_SEG_FLAGS_MASK  7

/* Symbol kinds. */
#define MXI_SYM_FUNC        0
#define MXI_SYM_OBJECT      1
#define MXI_SYM_LABEL       2

/* At file offset 0. */
struct mxi_header {
    unsigned int magic;            /* 0x00 MXI_MAGIC */
    unsigned short version;        /* 0x04 MXI_VERSION */
    unsigned short header_size;    /* 0x06 MXI_HEADER_SIZE */
    unsigned int entry;            /* 0x08 virtual address of the first instruction */
    unsigned short segment_count;  /* 0x0c <= MXI_MAX_SEGMENTS */
    unsigned short symbol_count;   /* 0x0e <= MXI_MAX_SYMBOLS */
    unsigned int segment_offset;   /* 0x10 file offset of the segment table */
    unsigned int symbol_offset;    /* 0x14 file offset of the symbol table */
    unsigned int strtab_offset;    /* 0x18 file offset of the string table */
    unsigned int strtab_size;      /* 0x1c bytes */
    unsigned int flags;            /* 0x20 reserved, 0 */
};

/* segment_count entries at segment_offset. */
struct mxi_segment {
    unsigned int paddr;            /* 0x00 where a loader without paging puts it */
    unsigned int vaddr;            /* 0x04 where it lives once paging is on */
    unsigned int file_offset;      /* 0x08 of the segment's data (4-byte aligned by the writer) */
    unsigned int file_size;        /* 0x0c bytes of data in the file */
    unsigned int mem_size;         /* 0x10 bytes in memory; the tail past file_size is zero (bss) */
    unsigned int flags;            /* 0x14 MXI_SEG_* */
    unsigned int name;             /* 0x18 string-table offset or MXI_NO_NAME */
};

/* symbol_count entries at symbol_offset. */
struct mxi_symbol {
    unsigned int name;             /* 0x00 string-table offset */
    unsigned int value;            /* 0x04 address */
    unsigned int size;             /* 0x08 bytes (0 for labels) */
    unsigned int kind;             /* 0x0c MXI_SYM_* */
};

#endif
