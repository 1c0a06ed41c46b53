/* The stub's vmcall transport (transport.h): the kernel's module system calls, which bounce the
 * buffers and make the MODULE_CALL hypercall (docs/hypercalls.md); the vCPU waits in the exit. */
#include "vamos.h"
#include "proto.h"
#include "transport.h"

static int handle = -1;

int wf_transport_open(void) {
    if (handle < 0) handle = module_open(WF_MODULE_NAME);
    return handle;
}

int wf_transport_call(unsigned op, const void *req, unsigned len, void *resp, unsigned cap) {
    if (handle < 0) return -1;
    return module_call(((unsigned)handle << 16) | op, req, len, resp, cap);
}
