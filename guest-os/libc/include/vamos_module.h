/* vamos_module.h: calling hypervisor-resident modules from guest code (docs/modules.md).
 *
 * The same calls work in a hosted program (`vamos run`: ring 0, paging off, so they make the
 * MODULE_OPEN and MODULE_CALL hypercalls of docs/hypercalls.md directly) and in a user program
 * under the vamos kernel (the kernel's SYS_MODULE_OPEN and SYS_MODULE_CALL make them for it,
 * bouncing the buffers). Results are >= 0 on success or one of the VMOD_E* codes below, which
 * are docs/hypercalls.md's error codes; a module may return other negative codes of its own. */
#ifndef _VAMOS_MODULE_H
#define _VAMOS_MODULE_H

#define VMOD_EPERM     (-1)   /* called from ring 3 without the kernel */
#define VMOD_ENOENT    (-2)   /* no module by that name (is it loaded with --module?) */
#define VMOD_EIO       (-5)   /* the module failed: it threw, faulted or ran past its budget */
#define VMOD_ENOMEM    (-12)  /* the vamos kernel could not bounce the buffers (user programs) */
#define VMOD_EFAULT    (-14)  /* a buffer is not entirely in guest RAM */
#define VMOD_EINVAL    (-22)  /* bad handle, name length, or a buffer over the size limit */
#define VMOD_ENOSYS    (-38)  /* unknown hypercall, or an op the module does not have */
#define VMOD_EMSGSIZE  (-90)  /* the response would not fit (the module's answer) */

#define VMOD_NAME_MAX  64     /* longest module name */
#define VMOD_OP_MAX    65535  /* ops are 16 bits */

/* The module's handle (>= 0), or VMOD_ENOENT, VMOD_EINVAL (name length 0 or over 64) or
 * VMOD_EFAULT (the name is not in guest RAM). */
int vmod_open(const char *name);

/* One whole operation: the module reads req[0..req_len) and writes at most resp_cap bytes into
 * resp. Returns the number of response bytes, or an error code. Hosted programs may pass up to
 * 1 MiB each way, user programs under the vamos kernel up to 64 KiB. */
int vmod_call(int handle, unsigned op, const void *req, unsigned req_len, void *resp, unsigned resp_cap);

/* "no such module" for VMOD_ENOENT, and so on; "module error" for a module's own code. */
const char *vmod_strerror(int err);

#endif
