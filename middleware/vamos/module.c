/* The hypervisor side of VAMOS (docs/vamos.md): the storage engine, built from the same sources
 * as the guest's, runs in a hypervisor context and executes the batches the guest's stub sends
 * (proto.h). Its volume is reached with host calls (middleware/osal/host.c). */
#include <string.h>
#include "engine.h"
#include "proto.h"

static engine *db;

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }
static unsigned get32(const unsigned char *p) { return get16(p) | (get16(p + 2) << 16); }
static void put32(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

struct reader {
    const unsigned char *p, *end;
    int bad;
};

static unsigned r16(struct reader *r) {
    unsigned v;
    if (r->end - r->p < 2) { r->bad = 1; return 0; }
    v = get16(r->p); r->p += 2; return v;
}

static unsigned r32(struct reader *r) {
    unsigned v;
    if (r->end - r->p < 4) { r->bad = 1; return 0; }
    v = get32(r->p); r->p += 4; return v;
}

static const unsigned char *rbytes(struct reader *r, unsigned n) {
    const unsigned char *b = r->p;
    if ((unsigned)(r->end - r->p) < n) { r->bad = 1; return 0; }
    r->p += n; return b;
}

static int reply(unsigned char *resp, int rc, unsigned aux, unsigned payload) {
    put32(resp, (unsigned)rc);
    put32(resp + 4, aux);
    return (int)(VP_HEADER + payload);
}

/* Runs one record; writes the response when it is the last one or fails. */
static int run_record(struct reader *r, unsigned char *resp, unsigned cap, unsigned *aux, unsigned *payload) {
    unsigned op, klen, vlen, elen, limit, want;
    const unsigned char *key, *val, *end;
    int rc;
    if (r->p >= r->end) return ENGINE_EINVAL;
    op = *r->p++;
    *aux = 0; *payload = 0;
    if (op != VP_OPEN && db == 0) return ENGINE_EINVAL;
    switch (op) {
    case VP_OPEN:
        want = r32(r);
        if (r->bad) return ENGINE_EINVAL;
        if (db != 0) return ENGINE_OK;      /* the guest restarted: keep the open engine */
        return engine_open(&db, want);
    case VP_GET:
        klen = r16(r); key = rbytes(r, klen); want = r32(r);
        if (r->bad) return ENGINE_EINVAL;
        if (want > cap - VP_HEADER) want = cap - VP_HEADER;
        rc = engine_get(db, key, klen, resp + VP_HEADER, want, &vlen);
        *aux = vlen;
        if (rc == ENGINE_OK) *payload = vlen;
        return rc;
    case VP_PUT:
        klen = r16(r); key = rbytes(r, klen); vlen = r16(r); val = rbytes(r, vlen);
        if (r->bad) return ENGINE_EINVAL;
        return engine_put(db, key, klen, val, vlen);
    case VP_DELETE:
        klen = r16(r); key = rbytes(r, klen);
        if (r->bad) return ENGINE_EINVAL;
        return engine_delete(db, key, klen);
    case VP_COMMIT:
        return engine_commit(db);
    case VP_COUNT:
        *aux = engine_count(db);
        return ENGINE_OK;
    case VP_SCAN:
        klen = r16(r); key = rbytes(r, klen);
        elen = r16(r); end = elen == VP_NO_END ? 0 : rbytes(r, elen);
        limit = r32(r); want = r32(r);
        if (r->bad) return ENGINE_EINVAL;
        if (want > cap - VP_HEADER) want = cap - VP_HEADER;
        rc = engine_scan_buf(db, key, klen, end, elen == VP_NO_END ? 0 : elen, limit, resp + VP_HEADER, want, &vlen);
        *aux = vlen;
        if (rc >= 0) *payload = vlen;
        return rc;
    case VP_STATS:
        if (cap < VP_HEADER + sizeof(struct engine_stats)) return ENGINE_EINVAL;
        engine_get_stats(db, (struct engine_stats *)(resp + VP_HEADER));
        *payload = sizeof(struct engine_stats);
        return ENGINE_OK;
    case VP_CLOSE:
        rc = engine_close(db);
        db = 0;
        return rc;
    default:
        return ENGINE_EINVAL;
    }
}

int vamos_module_init(void) {
    db = 0;
    return 0;
}

int vamos_module_call(unsigned op, const unsigned char *req, unsigned len, unsigned char *resp, unsigned cap) {
    struct reader r;
    unsigned index = 0, aux = 0, payload = 0;
    int rc = ENGINE_EINVAL;
    if (op != VP_CALL_OP) return -38;           /* ENOSYS: an op this module does not have */
    if (cap < VP_HEADER) return -90;            /* EMSGSIZE */
    r.p = req; r.end = req + len; r.bad = 0;
    if (len == 0) return reply(resp, ENGINE_EINVAL, 0, 0);
    while (r.p < r.end) {
        rc = run_record(&r, resp, cap, &aux, &payload);
        if (rc < 0 && !(rc == ENGINE_NOTFOUND && r.p >= r.end)) return reply(resp, rc, index, 0);
        index++;
    }
    return reply(resp, rc, aux, payload);
}
