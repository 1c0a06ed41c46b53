/* The VAMOS stub (docs/vamos.md): engine.h implemented in the guest by handing each operation
 * to the engine at the hypervisor level, one MODULE_CALL per operation (proto.h). Puts are
 * batched in front of the next operation, so the front end's put + commit for a SET is a
 * single hypercall. The front end cannot tell this engine from the local one. */
#include <string.h>
#include "engine.h"
#include "proto.h"

struct engine {
    unsigned char batch[VP_BATCH_MAX];
    unsigned used;
    int failed;             /* a transport error: every later call fails with ENGINE_EIO */
    unsigned char resp[VP_RESPONSE_MAX];
};

static struct engine the_engine;

void (*vamos_wait_turn)(void) = 0;
int (*vamos_wait_reply)(int tag) = 0;

/* Every engine call starts here: with several connections in flight, one that is in the middle
 * of a read-modify-write command (the server's exclusive section) keeps the others out. */
static void turn(void) {
    if (vamos_wait_turn) vamos_wait_turn();
}

static unsigned get32(const unsigned char *p) {
    return (unsigned)p[0] | ((unsigned)p[1] << 8) | ((unsigned)p[2] << 16) | ((unsigned)p[3] << 24);
}

static void add8(engine *e, unsigned v) { e->batch[e->used++] = (unsigned char)v; }
static void add16(engine *e, unsigned v) { add8(e, v & 0xff); add8(e, (v >> 8) & 0xff); }
static void add32(engine *e, unsigned v) { add16(e, v & 0xffff); add16(e, v >> 16); }
static void addbytes(engine *e, const void *p, unsigned n) { memcpy(e->batch + e->used, p, n); e->used += n; }

/* Sends the batch; the response header's rc, and aux in *aux. */
static int send_batch(engine *e, unsigned *aux, unsigned *payload) {
    unsigned len = e->used;
    int n;
    /* Emptied before the call: another connection may run while this one's batch is out. */
    e->used = 0;
    if (e->failed) return ENGINE_EIO;
    n = vamos_transport_call(e->batch, len, e->resp, sizeof e->resp);
    if (n < VP_HEADER) { e->failed = 1; return ENGINE_EIO; }
    if (aux) *aux = get32(e->resp + 4);
    if (payload) *payload = (unsigned)n - VP_HEADER;
    return (int)get32(e->resp);
}

/* Makes room for `need` more bytes, flushing buffered puts if necessary. */
static int reserve(engine *e, unsigned need) {
    int rc;
    if (e->used + need <= sizeof e->batch) return ENGINE_OK;
    rc = send_batch(e, 0, 0);
    return rc < 0 ? rc : ENGINE_OK;
}

static int bad_key(unsigned klen) { return klen == 0 || klen > ENGINE_KEY_MAX; }

int engine_open(engine **out, unsigned pool_pages) {
    engine *e = &the_engine;
    int rc;
    e->used = 0; e->failed = 0;
    if (vamos_transport_open() < 0) return ENGINE_EIO;
    add8(e, VP_OPEN); add32(e, pool_pages);
    rc = send_batch(e, 0, 0);
    if (rc < 0) return rc;
    *out = e;
    return ENGINE_OK;
}

int engine_close(engine *e) {
    turn();
    add8(e, VP_CLOSE);
    return send_batch(e, 0, 0);
}

int engine_put(engine *e, const void *key, unsigned klen, const void *val, unsigned vlen) {
    int rc;
    turn();
    if (bad_key(klen) || vlen > ENGINE_VALUE_MAX) return ENGINE_EINVAL;
    rc = reserve(e, 1 + 2 + klen + 2 + vlen + 64);
    if (rc < 0) return rc;
    add8(e, VP_PUT); add16(e, klen); addbytes(e, key, klen); add16(e, vlen); addbytes(e, val, vlen);
    return ENGINE_OK;
}

int engine_get(engine *e, const void *key, unsigned klen, void *val, unsigned cap, unsigned *vlen) {
    unsigned aux = 0, payload = 0;
    int rc;
    turn();
    if (bad_key(klen)) return ENGINE_EINVAL;
    if ((rc = reserve(e, 1 + 2 + klen + 4)) < 0) return rc;
    add8(e, VP_GET); add16(e, klen); addbytes(e, key, klen); add32(e, cap);
    rc = send_batch(e, &aux, &payload);
    if (vlen) *vlen = aux;
    if (rc == ENGINE_OK) memcpy(val, e->resp + VP_HEADER, payload < cap ? payload : cap);
    return rc;
}

int engine_delete(engine *e, const void *key, unsigned klen) {
    int rc;
    turn();
    if (bad_key(klen)) return ENGINE_EINVAL;
    if ((rc = reserve(e, 1 + 2 + klen)) < 0) return rc;
    add8(e, VP_DELETE); add16(e, klen); addbytes(e, key, klen);
    return send_batch(e, 0, 0);
}

int engine_commit(engine *e) {
    turn();
    add8(e, VP_COMMIT);
    return send_batch(e, 0, 0);
}

unsigned engine_count(engine *e) {
    unsigned aux = 0;
    turn();
    add8(e, VP_COUNT);
    return send_batch(e, &aux, 0) < 0 ? 0 : aux;
}

int engine_scan_buf(engine *e, const void *start, unsigned slen, const void *end, unsigned elen,
                    unsigned limit, void *buf, unsigned cap, unsigned *used) {
    unsigned aux = 0, payload = 0;
    int rc;
    turn();
    if (slen > ENGINE_KEY_MAX || elen > ENGINE_KEY_MAX) return ENGINE_EINVAL;
    if ((rc = reserve(e, 1 + 2 + slen + 2 + elen + 8)) < 0) return rc;
    add8(e, VP_SCAN); add16(e, slen); addbytes(e, start, slen);
    if (end == 0) add16(e, VP_NO_END);
    else { add16(e, elen); addbytes(e, end, elen); }
    add32(e, limit);
    add32(e, cap);
    rc = send_batch(e, &aux, &payload);
    if (used) *used = rc >= 0 ? aux : 0;
    if (rc >= 0) memcpy(buf, e->resp + VP_HEADER, payload < cap ? payload : cap);
    return rc;
}

int engine_scan(engine *e, const void *start, unsigned slen, const void *end, unsigned elen,
                unsigned limit, engine_scan_fn fn, void *arg) {
    static unsigned char buf[VP_RESPONSE_MAX - VP_HEADER];
    unsigned used = 0, off = 0, klen, vlen;
    int n = engine_scan_buf(e, start, slen, end, elen, limit, buf, sizeof buf, &used);
    int calls = 0;
    if (n < 0) return n;
    while (off + 4 <= used && calls < n) {
        klen = buf[off] | (buf[off + 1] << 8);
        vlen = buf[off + 2 + klen] | (buf[off + 3 + klen] << 8);
        calls++;
        if (fn(arg, buf + off + 2, klen, buf + off + 4 + klen, vlen)) break;
        off += 4 + klen + vlen;
    }
    return calls;
}

void engine_get_stats(engine *e, struct engine_stats *out) {
    unsigned payload = 0;
    turn();
    add8(e, VP_STATS);
    if (send_batch(e, 0, &payload) == ENGINE_OK && payload >= sizeof *out) memcpy(out, e->resp + VP_HEADER, sizeof *out);
    else memset(out, 0, sizeof *out);
}
