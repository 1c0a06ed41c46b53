/* vmod_strerror, apart from vmod_hosted.c so that user programs (which define vmod_open and
 * vmod_call in their own library) can use it without pulling the hosted definitions in. */
#include <vamos_module.h>

const char *vmod_strerror(int err) {
    switch (err) {
    case VMOD_EPERM: return "not permitted from ring 3";
    case VMOD_ENOENT: return "no such module";
    case VMOD_EIO: return "the module failed";
    case VMOD_ENOMEM: return "out of memory";
    case VMOD_EFAULT: return "buffer outside guest RAM";
    case VMOD_EINVAL: return "invalid argument";
    case VMOD_ENOSYS: return "no such operation";
    case VMOD_EMSGSIZE: return "response too large";
    }
    return err >= 0 ? "success" : "module error";
}
