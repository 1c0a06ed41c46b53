/* An append-only record log: sector 0 holds the header, the records follow as one byte stream
 * (each a 2-byte length and its bytes). The last partial sector is kept in memory and written
 * when full or at store_sync. */
#include <string.h>
#include "store.h"

#define MAGIC 0x31474f4cu   /* "LOG1" */

struct header { unsigned magic, count, bytes; };

static struct header hdr;
static unsigned char tail[VOL_SECTOR];

static int write_header(void) {
    unsigned char block[VOL_SECTOR];
    memset(block, 0, sizeof block);
    memcpy(block, &hdr, sizeof hdr);
    return vol_write(0, block, 1) == 1 ? 0 : -5;
}

int store_open(void) {
    unsigned char block[VOL_SECTOR];
    if (vol_sectors() < 2 || vol_read(0, block, 1) != 1) return -5;
    memcpy(&hdr, block, sizeof hdr);
    if (hdr.magic != MAGIC) {           /* a new volume: format it */
        hdr.magic = MAGIC;
        hdr.count = 0;
        hdr.bytes = 0;
        return write_header();
    }
    if (hdr.bytes % VOL_SECTOR != 0 && vol_read(1 + hdr.bytes / VOL_SECTOR, tail, 1) != 1) return -5;
    return 0;
}

static int put_byte(unsigned char b) {
    unsigned off = hdr.bytes % VOL_SECTOR, sector = 1 + hdr.bytes / VOL_SECTOR;
    if (sector >= vol_sectors()) return -28;
    tail[off] = b;
    hdr.bytes++;
    if (off == VOL_SECTOR - 1) {
        if (vol_write(sector, tail, 1) != 1) return -5;
        memset(tail, 0, sizeof tail);
    }
    return 0;
}

int store_append(const void *rec, unsigned len) {
    const unsigned char *p = rec;
    unsigned i;
    int rc;
    if (len > 65535) return -22;
    if ((rc = put_byte(len & 0xff)) < 0 || (rc = put_byte(len >> 8)) < 0) return rc;
    for (i = 0; i < len; i++)
        if ((rc = put_byte(p[i])) < 0) return rc;
    return (int)hdr.count++;
}

int store_sync(void) {
    if (hdr.bytes % VOL_SECTOR != 0 && vol_write(1 + hdr.bytes / VOL_SECTOR, tail, 1) != 1) return -5;
    if (write_header() < 0) return -5;
    return vol_flush();
}

unsigned store_count(void) { return hdr.count; }

unsigned store_checksum(void) {
    unsigned char block[VOL_SECTOR];
    unsigned h = 2166136261u, done = 0, sector = 1, i;
    while (done < hdr.bytes) {
        if (vol_read(sector++, block, 1) != 1) return 0;
        for (i = 0; i < VOL_SECTOR && done < hdr.bytes; i++, done++) h = (h ^ block[i]) * 16777619u;
    }
    return h;
}
