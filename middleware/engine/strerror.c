/* engine_strerror: shared by the engine and the VAMOS stub (which stands in for it in the guest). */
#include "engine.h"

const char *engine_strerror(int code) {
    switch (code) {
    case ENGINE_OK: return "ok";
    case ENGINE_NOTFOUND: return "not found";
    case ENGINE_EINVAL: return "invalid argument";
    case ENGINE_EIO: return "I/O error";
    case ENGINE_ENOMEM: return "out of memory";
    case ENGINE_EFULL: return "volume full";
    case ENGINE_ECORRUPT: return "corrupt page";
    case ENGINE_ETOOSMALL: return "buffer too small";
    default: return "unknown error";
    }
}
