/* The stub's transport in the vamos guest: the kernel's module system calls, which bounce the
 * buffers and make the MODULE_CALL hypercall (docs/hypercalls.md). */
#include "vamos.h"
#include "proto.h"

static int handle = -1;

int vamos_transport_open(void) {
    if (handle < 0) handle = module_open(VP_MODULE_NAME);
    return handle;
}

int vamos_transport_call(const void *req, unsigned len, void *resp, unsigned cap) {
    if (handle < 0) return -1;
    return module_call(((unsigned)handle << 16) | VP_CALL_OP, req, len, resp, cap);
}
