/* The host OSAL: the engine as a hypervisor-resident module (docs/modules.md). Block I/O,
 * time and the log are host calls (middleware/include/hostcall.h) made with vmcall; memory is
 * the libc's allocator over the heap the module runtime (middleware/runtime/modrt.s) set up
 * before module_init. */
#include <stdlib.h>
#include <string.h>
#include "hostcall.h"
#include "osal.h"

static unsigned nsect;

/* Pointers are 32-bit in the module; the casts through size_t keep gcc (LP64) quiet. */
#define ADDR(p) ((unsigned)(size_t)(p))

int osal_host_open(void) {
    nsect = __mx86_vmcall(HOST_BLK_INFO, 0, 0, 0, 0, 0);
    return (int)nsect < 0 ? (int)nsect : 0;
}

unsigned osal_vol_sectors(void) { return nsect; }

int osal_vol_read(unsigned sector, void *buf, unsigned count) {
    int rc = (int)__mx86_vmcall(HOST_BLK_READ, sector, ADDR(buf), count, 0, 0);
    return rc == (int)count ? rc : OSAL_EIO;
}

int osal_vol_write(unsigned sector, const void *buf, unsigned count) {
    int rc = (int)__mx86_vmcall(HOST_BLK_WRITE, sector, ADDR(buf), count, 0, 0);
    return rc == (int)count ? rc : OSAL_EIO;
}

int osal_vol_flush(void) { return (int)__mx86_vmcall(HOST_BLK_FLUSH, 0, 0, 0, 0, 0) < 0 ? OSAL_EIO : 0; }

void *osal_alloc(size_t bytes) { return malloc(bytes); }
void osal_free(void *p) { free(p); }

unsigned long long osal_time_ns(void) {
    unsigned long long ns = 0;
    __mx86_vmcall(HOST_TIME_NS, ADDR(&ns), 0, 0, 0, 0);
    return ns;
}

void osal_log(const char *msg) { __mx86_vmcall(HOST_LOG, ADDR(msg), (unsigned)strlen(msg), 0, 0, 0); }
