/* The file layer's stub (files.h) in the guest: each operation is one call to the file layer
 * at the hypervisor level (proto.h, module.c) over the transport linked in (transport.h: a
 * vmcall or the virtio module channel). The front end cannot tell it from the local layer. */
#include <string.h>
#include "vamos.h"
#include "files.h"
#include "proto.h"
#include "transport.h"

static int handle = -1;            /* the transport, once opened */
static unsigned char req[16 + 256];   /* the longest request: will_read and a path */
static unsigned char resp[WF_RESPONSE_MAX];
/* The last WF_STAT's response, kept apart: the first bytes of the file it stat'ed with
 * will_read (from byte 20), which the next reads of that file take without a crossing. */
static unsigned char stat_resp[WF_RESPONSE_MAX];
static unsigned ahead_id = 0xFFFFFFFFu, ahead_len;
#define AHEAD (stat_resp + WF_HEADER + 16)

static unsigned get32(const unsigned char *p) {
    return (unsigned)p[0] | ((unsigned)p[1] << 8) | ((unsigned)p[2] << 16) | ((unsigned)p[3] << 24);
}
static void put32(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* One call -> the response's rc, or FILES_EIO when the hypercall failed or the reply is short. */
static int call(unsigned op, unsigned len, unsigned want) {
    int n;
    if (handle < 0) return FILES_EIO;
    /* The module answers in at least 24 bytes (module.c): ask for no less. */
    n = wf_transport_call(op, req, len, resp, WF_HEADER + (want < 20 ? 20 : want));
    if (n < WF_HEADER) return FILES_EIO;
    return (int)get32(resp);
}

int files_mount(unsigned cache_pages) {
    if (handle < 0) handle = wf_transport_open();
    if (handle < 0) return FILES_EIO;
    put32(req, cache_pages);
    return call(WF_MOUNT, 4, 0);
}

int files_stat(const char *path, unsigned len, struct files_stat *out, unsigned will_read) {
    int rc, n;
    if (handle < 0) return FILES_EIO;
    if (len + 4 > sizeof req) return FILES_ENOENT;
    if (will_read > WF_RESPONSE_MAX - WF_HEADER - 16) will_read = WF_RESPONSE_MAX - WF_HEADER - 16;
    put32(req, will_read);
    memcpy(req + 4, path, len);
    ahead_id = 0xFFFFFFFFu;
    /* The module answers in at least 24 bytes (module.c): ask for no less. */
    n = wf_transport_call(WF_STAT, req, len + 4, stat_resp, WF_HEADER + 16 + (will_read < 4 ? 4 : will_read));
    if (n < WF_HEADER) return FILES_EIO;
    rc = (int)get32(stat_resp);
    if (rc < 0) return rc;
    if (n < WF_HEADER + 16) return FILES_EIO;
    out->id = get32(stat_resp + 4);
    out->kind = get32(stat_resp + 8);
    out->size = get32(stat_resp + 12);
    out->etag = get32(stat_resp + 16);
    if (n > WF_HEADER + 16) {
        ahead_len = (unsigned)n - WF_HEADER - 16;
        ahead_id = out->id;
    }
    return 0;
}

int files_read(unsigned id, unsigned off, void *buf, unsigned len) {
    int rc;
    if (id == ahead_id && off < ahead_len) {      /* fetched with the stat: no crossing */
        if (len > ahead_len - off) len = ahead_len - off;
        memcpy(buf, AHEAD + off, len);
        return (int)len;
    }
    if (len > WF_RESPONSE_MAX - WF_HEADER) len = WF_RESPONSE_MAX - WF_HEADER;
    put32(req, id); put32(req + 4, off); put32(req + 8, len);
    rc = call(WF_READ, 12, len);
    if (rc > 0) memcpy(buf, resp + WF_HEADER, (unsigned)rc);
    return rc;
}

int files_list(unsigned id, unsigned start, char *buf, unsigned cap, unsigned *used) {
    int rc;
    if (cap > WF_RESPONSE_MAX - WF_HEADER - 4) cap = WF_RESPONSE_MAX - WF_HEADER - 4;
    put32(req, id); put32(req + 4, start); put32(req + 8, cap);
    rc = call(WF_LIST, 12, 4 + cap);
    *used = 0;
    if (rc < 0) return rc;
    *used = get32(resp + 4);
    memcpy(buf, resp + 8, *used);
    return rc;
}

void files_get_counters(struct files_counters *out) {
    memset(out, 0, sizeof *out);
    if (call(WF_COUNTERS, 0, 20) < 0) return;
    out->hits = get32(resp + 4);
    out->misses = get32(resp + 8);
    out->pages = get32(resp + 12);
    out->bytes = get32(resp + 16) | ((unsigned long long)get32(resp + 20) << 32);
}
