/* The store's blocks in the module: its volume, a host file (--module store=...,disk=FILE),
 * through the host calls of <hostcall.h>. No exits: the guest waits in its vmcall. */
#include <hostcall.h>
#include "../common/store.h"

int vol_read(unsigned sector, void *buf, unsigned count) {
    return (int)__mx86_vmcall(HOST_BLK_READ, sector, (unsigned)buf, count, 0, 0);
}

int vol_write(unsigned sector, const void *buf, unsigned count) {
    return (int)__mx86_vmcall(HOST_BLK_WRITE, sector, (unsigned)buf, count, 0, 0);
}

int vol_flush(void) { return (int)__mx86_vmcall(HOST_BLK_FLUSH, 0, 0, 0, 0, 0); }

unsigned vol_sectors(void) { return __mx86_vmcall(HOST_BLK_INFO, 0, 0, 0, 0, 0); }
