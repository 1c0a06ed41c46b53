/* The file layer at the hypervisor level (docs/web.md): built from the same sources as the
 * guest's (middleware/web/files) over the host OSAL, it executes the stub's calls (proto.h).
 * module_init and module_call are the entry points middleware/runtime/modrt.s calls. */
#include <string.h>
#include "osal.h"
#include "files.h"
#include "proto.h"

static int mounted;

static unsigned get32(const unsigned char *p) {
    return (unsigned)p[0] | ((unsigned)p[1] << 8) | ((unsigned)p[2] << 16) | ((unsigned)p[3] << 24);
}
static void put32(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

int module_init(void) {
    mounted = 0;
    return osal_host_open() < 0 ? -1 : 0;
}

/* The response length; its first word is the operation's rc. */
static int answer(unsigned char *resp, int rc, unsigned payload) {
    put32(resp, (unsigned)rc);
    return (int)(WF_HEADER + payload);
}

int module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    unsigned room = cap - WF_HEADER;
    struct files_stat st;
    struct files_counters k;
    int rc;
    if (cap < WF_HEADER + 20) return -90;                 /* EMSGSIZE: every reply fits in 24 bytes or the asked cap */
    if (op != WF_MOUNT && op != WF_COUNTERS && !mounted) return answer(resp, FILES_EINVAL, 0);
    switch (op) {
    case WF_MOUNT:
        if (len != 4) return answer(resp, FILES_EINVAL, 0);
        if (mounted) return answer(resp, 0, 0);          /* the guest restarted: keep the cache */
        rc = files_mount(get32(req));
        mounted = rc == 0;
        return answer(resp, rc, 0);
    case WF_STAT: {
        unsigned ahead, got = 0;
        if (len < 4) return answer(resp, FILES_EINVAL, 0);
        ahead = get32(req);
        rc = files_stat((const char *)req + 4, len - 4, &st, ahead);
        if (rc < 0) return answer(resp, rc, 0);
        put32(resp + 4, st.id); put32(resp + 8, st.kind); put32(resp + 12, st.size); put32(resp + 16, st.etag);
        if (ahead > room - 16) ahead = room - 16;
        if (st.kind == FILES_KIND_FILE && ahead > 0) {
            rc = files_read(st.id, 0, resp + 20, ahead);
            if (rc < 0) return answer(resp, rc, 0);
            got = (unsigned)rc;
        }
        return answer(resp, 0, 16 + got);
    }
    case WF_READ:
        if (len != 12) return answer(resp, FILES_EINVAL, 0);
        rc = files_read(get32(req), get32(req + 4), resp + WF_HEADER, get32(req + 8) < room ? get32(req + 8) : room);
        return answer(resp, rc, rc > 0 ? (unsigned)rc : 0);
    case WF_LIST: {
        unsigned used = 0, want = get32(req + 8);
        if (len != 12) return answer(resp, FILES_EINVAL, 0);
        if (want > room - 4) want = room - 4;
        rc = files_list(get32(req), get32(req + 4), (char *)resp + 8, want, &used);
        put32(resp + 4, used);
        return answer(resp, rc, 4 + used);
    }
    case WF_COUNTERS:
        files_get_counters(&k);
        put32(resp + 4, k.hits); put32(resp + 8, k.misses); put32(resp + 12, k.pages);
        put32(resp + 16, (unsigned)k.bytes); put32(resp + 20, (unsigned)(k.bytes >> 32));
        return answer(resp, 0, 20);
    default:
        return -38;                                        /* ENOSYS: an op this module does not have */
    }
}
