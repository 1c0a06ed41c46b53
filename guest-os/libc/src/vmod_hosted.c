/* vmod_open and vmod_call for hosted programs (ring 0, paging off: a pointer is a
 * guest-physical address, which is what the hypercalls take). User programs under the vamos
 * kernel get their own definitions from guest-os/user/lib/calls.c, linked before the libc,
 * so this member is never pulled into them. */
#include <mx86.h>
#include <string.h>
#include <vamos_module.h>

#define HC_MODULE_OPEN 1u
#define HC_MODULE_CALL 2u

int vmod_open(const char *name) {
    unsigned n = (unsigned)strlen(name);
    if (n == 0 || n > VMOD_NAME_MAX) return VMOD_EINVAL;
    return (int)__mx86_vmcall(HC_MODULE_OPEN, (unsigned)name, n, 0, 0, 0);
}

int vmod_call(int handle, unsigned op, const void *req, unsigned req_len, void *resp, unsigned resp_cap) {
    if (handle < 0 || handle > 0xffff || op > VMOD_OP_MAX) return VMOD_EINVAL;
    return (int)__mx86_vmcall(HC_MODULE_CALL, ((unsigned)handle << 16) | op, (unsigned)req, req_len,
                              (unsigned)resp, resp_cap);
}
