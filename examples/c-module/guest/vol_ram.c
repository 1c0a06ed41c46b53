/* The store's blocks in the guest: a hosted program has no disk driver, so they live in RAM
 * (and are gone at exit). */
#include <string.h>
#include "../common/store.h"

#define SECTORS 2048

static unsigned char blocks[SECTORS][VOL_SECTOR];

int vol_read(unsigned sector, void *buf, unsigned count) {
    if (sector + count > SECTORS) return -5;
    memcpy(buf, blocks[sector], count * VOL_SECTOR);
    return (int)count;
}

int vol_write(unsigned sector, const void *buf, unsigned count) {
    if (sector + count > SECTORS) return -5;
    memcpy(blocks[sector], buf, count * VOL_SECTOR);
    return (int)count;
}

int vol_flush(void) { return 0; }

unsigned vol_sectors(void) { return SECTORS; }
