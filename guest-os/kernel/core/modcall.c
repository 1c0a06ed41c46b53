/* core/modcall.c: SYS_MODULE_OPEN and SYS_MODULE_CALL, the user programs' way to the
 * hypervisor-resident modules (docs/hypercalls.md). The hypercall takes guest-physical ranges,
 * and a user buffer is neither physical nor contiguous, so both directions go through kernel
 * memory: kernel_pa() gives its physical address (the heap is identity-mapped; a buffer on the
 * kernel stack is not, but its pages are contiguous). */
#include <stdlib.h>
#include <string.h>
#include <mx86.h>
#include "kcore.h"

#define HC_MODULE_OPEN  1u
#define HC_MODULE_CALL  2u
#define MODCALL_MAX     65536u
#define MODNAME_MAX     64u

int sys_module_open(uint32_t name, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    char kname[MODNAME_MAX + 1];
    int n;
    (void)b; (void)c; (void)d; (void)e;
    n = strncpy_from_user(kname, (const char *)name, sizeof kname);
    if (n < 0) return n;
    if (n == 0) return -E_INVAL;
    return (int)__mx86_vmcall(HC_MODULE_OPEN, kernel_pa(kname), (uint32_t)n, 0, 0, 0);
}

int sys_module_call(uint32_t handle_op, uint32_t req, uint32_t req_len, uint32_t resp, uint32_t cap) {
    unsigned char *kreq, *kresp;
    int rc;
    if (req_len > MODCALL_MAX || cap > MODCALL_MAX) return -E_INVAL;
    if (!user_range_ok((const void *)req, req_len, 0) || !user_range_ok((const void *)resp, cap, 1)) return -E_FAULT;
    kreq = malloc(req_len + 1);
    kresp = malloc(cap + 1);
    if (kreq == NULL || kresp == NULL) {
        free(kreq);
        free(kresp);
        return -E_NOMEM;
    }
    rc = copy_from_user(kreq, (const void *)req, req_len);
    if (rc == 0) {
        rc = (int)__mx86_vmcall(HC_MODULE_CALL, handle_op, kernel_pa(kreq), req_len, kernel_pa(kresp), cap);
        if (rc > 0 && copy_to_user((void *)resp, kresp, (unsigned)rc) < 0) rc = -E_FAULT;
    }
    free(kreq);
    free(kresp);
    return rc;
}
