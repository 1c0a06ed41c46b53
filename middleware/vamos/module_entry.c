/* The module's entry points for the hypervisor context (middleware/runtime/modrt.s calls them):
 * the VAMOS engine over the host OSAL. Kept apart from module.c so native tests can link
 * module.c with another OSAL. */
#include "osal.h"
#include "proto.h"

int module_init(void) {
    if (osal_host_open() < 0) return -1;
    return vamos_module_init();
}

int module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    return vamos_module_call(op, req, len, resp, cap);
}
