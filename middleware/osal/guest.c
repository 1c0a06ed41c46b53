/* The guest OSAL: the vamos kernel's system calls (guest-os/include/syscall.h) through the
 * user library's wrappers (guest-os/user/include/vamos.h). The volume is one data disk. */
#include <stdlib.h>
#include <string.h>
#include <vamos.h>
#include "osal.h"

static int disk = -1;
static unsigned nsect;

int osal_guest_open(int d) {
    unsigned n = 0;
    int rc = blk_info(d, &n);
    if (rc < 0) return rc;
    disk = d;
    nsect = n;
    return 0;
}

unsigned osal_vol_sectors(void) { return nsect; }

int osal_vol_read(unsigned sector, void *buf, unsigned count) {
    int rc = blk_read(disk, sector, buf, count);
    return rc == (int)count ? rc : OSAL_EIO;
}

int osal_vol_write(unsigned sector, const void *buf, unsigned count) {
    int rc = blk_write(disk, sector, buf, count);
    return rc == (int)count ? rc : OSAL_EIO;
}

int osal_vol_flush(void) { return blk_flush(disk) < 0 ? OSAL_EIO : 0; }

void *osal_alloc(size_t bytes) { return malloc(bytes); }
void osal_free(void *p) { free(p); }

unsigned long long osal_time_ns(void) { return time_ns(); }

void osal_log(const char *msg) {
    write(2, msg, (unsigned)strlen(msg));
    write(2, "\n", 1);
}
