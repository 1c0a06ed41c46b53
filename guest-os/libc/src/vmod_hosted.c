/* vmod_open and vmod_call for hosted programs (ring 0, paging off: a pointer is a
 * guest-physical address, which is what the hypercalls take). User programs under the vamos
 * kernel get their own definitions from guest-os/user/lib/calls.c, linked before the libc,
 * so this member is never pulled into them. Pointers go through unsigned long so that gcc on a
 * 64-bit host (the libc's native tests) accepts the cast; on mx86 both are 32 bits. */
#include <mx86.h>
#include <string.h>
#include <vamos_module.h>

#define HC_MODULE_OPEN 1u
#define HC_MODULE_CALL 2u

int vmod_open(const char *name) {
    unsigned n = (unsigned)strlen(name);
    if (n == 0 || n > VMOD_NAME_MAX) return VMOD_EINVAL;
    return (int)__mx86_vmcall(HC_MODULE_OPEN, (unsigned)(unsigned long)name, n, 0, 0, 0);
}

int vmod_call(int handle, unsigned op, const void *req, unsigned req_len, void *resp, unsigned resp_cap) {
    if (handle < 0 || handle > 0xffff || op > VMOD_OP_MAX) return VMOD_EINVAL;
    return (int)__mx86_vmcall(HC_MODULE_CALL, ((unsigned)handle << 16) | op, (unsigned)(unsigned long)req, req_len,
                              (unsigned)(unsigned long)resp, resp_cap);
}
