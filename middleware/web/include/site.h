/* site.h: the on-disk format of a site volume (docs/web.md), written by `vamos mksite`
 * (middleware/web/site.ts holds the same numbers; a test keeps the two equal).
 *
 *   sector 0        the superblock (SITE_MAGIC, version, entry count, table sectors, data start)
 *   sector 1..      the entry table: SITE_ENTRY bytes per entry, sorted by path in byte order;
 *                   entry 0 is the root directory "/"
 *   data            each file's bytes from a 4 KiB boundary (SITE_PAGE), in table order
 * All integers are u32 little-endian. */
#ifndef VAMOS_SITE_H
#define VAMOS_SITE_H

#define SITE_MAGIC        "VAMSITE1"    /* 8 bytes at offset 0 of sector 0 */
#define SITE_VERSION      1
#define SITE_SECTOR       512
#define SITE_PAGE         4096
#define SITE_ENTRY        256
#define SITE_PATH_MAX     223           /* bytes of a path, without its NUL */

/* Superblock field offsets. */
#define SB_VERSION        8
#define SB_ENTRIES        12
#define SB_TABLE_SECTORS  16            /* the table starts at sector 1 */
#define SB_DATA_SECTOR    20            /* the first data sector (a multiple of 8) */
#define SB_TOTAL_SECTORS  24

/* Entry field offsets. */
#define SE_KIND           0             /* SITE_FILE or SITE_DIR */
#define SE_SIZE           4             /* bytes (0 for a directory) */
#define SE_FIRST          8             /* the first sector of a file's bytes */
#define SE_ETAG           12            /* FNV-1a (32-bit) of the file's bytes */
#define SE_PARENT         16            /* the index of the containing directory (root: 0) */
#define SE_PATH           32            /* "/", "/a.html", "/docs/x.txt": NUL-terminated */

#define SITE_FILE         1
#define SITE_DIR          2

#endif
