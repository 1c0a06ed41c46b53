/* The RAM-disk OSAL: a volume in the heap, for hosted programs (`vamos run`) and tests that
 * need no persistence. Flush has nothing to do; the contents die with the program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "osal.h"

static unsigned char *disk;
static unsigned nsect;
static unsigned long long ticks;

int osal_mem_open(unsigned sectors) {
    disk = (unsigned char *)calloc(sectors, OSAL_SECTOR);
    if (!disk) return OSAL_ENOMEM;
    nsect = sectors;
    return 0;
}

unsigned osal_vol_sectors(void) { return nsect; }

int osal_vol_read(unsigned sector, void *buf, unsigned count) {
    if (sector > nsect || count > nsect - sector) return OSAL_EIO;
    memcpy(buf, disk + (size_t)sector * OSAL_SECTOR, (size_t)count * OSAL_SECTOR);
    return (int)count;
}

int osal_vol_write(unsigned sector, const void *buf, unsigned count) {
    if (sector > nsect || count > nsect - sector) return OSAL_EIO;
    memcpy(disk + (size_t)sector * OSAL_SECTOR, buf, (size_t)count * OSAL_SECTOR);
    return (int)count;
}

int osal_vol_flush(void) { return 0; }

void *osal_alloc(size_t bytes) { return malloc(bytes); }
void osal_free(void *p) { free(p); }

/* No clock here: a counter keeps time monotonic and the run deterministic. */
unsigned long long osal_time_ns(void) { return ++ticks; }

void osal_log(const char *msg) { printf("%s\n", msg); }
