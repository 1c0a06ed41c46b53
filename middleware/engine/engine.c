/* The engine's public face (engine.h): open (format or recover), the operations, commit,
 * close. Before each operation `prepare` keeps two promises the other files rely on: the pool
 * has OP_PAGES frames it may evict (else it commits, which makes every frame evictable), and
 * the log has room for the next commit (else it checkpoints, which empties the log).
 *
 * Volume layout, in 4 KiB pages: page 0 the superblock (two copies, sectors 0 and 1, written
 * alternately so a torn superblock write leaves the other one), pages 1.. the log region,
 * then the meta page, then tree pages allocated upwards. */
#include <string.h>
#include "internal.h"

#define SB_MAGIC0 0x4D4156u     /* "VAM" */
#define SB_MAGIC1 0x3144534Fu   /* "OSD1" */

int fail(engine *e, int code) {
    if (!e->failed) e->failed = code;
    return e->failed;
}

static unsigned sb_sum(const unsigned char *s) {
    struct csum c;
    csum_init(&c);
    csum_update(&c, s, 32);
    return csum_final(&c);
}

int sb_write(engine *e) {
    unsigned words[OSAL_SECTOR / 4];        /* word-aligned for the checksum */
    unsigned char *s = (unsigned char *)words;
    memset(s, 0, OSAL_SECTOR);
    wr32(s, SB_MAGIC0);
    wr32(s + 4, SB_MAGIC1);
    wr32(s + 8, e->dbid);
    wr32(s + 12, e->epoch);
    wr32(s + 16, e->total_pages);
    wr32(s + 20, e->log_start);
    wr32(s + 24, e->log_pages);
    wr32(s + 28, e->meta_pgno);
    wr32(s + 32, sb_sum(s));
    if (osal_vol_write(e->epoch & 1, s, 1) < 0 || osal_vol_flush() < 0) return fail(e, ENGINE_EIO);
    e->st.flushes++;
    return ENGINE_OK;
}

/* Loads the newest valid superblock copy: 1 found, 0 none (a fresh volume). */
static int sb_read(engine *e) {
    unsigned words[2 * OSAL_SECTOR / 4];
    unsigned char *s = (unsigned char *)words;
    int i, found = 0;
    if (osal_vol_read(0, s, 2) < 0) return fail(e, ENGINE_EIO);
    for (i = 0; i < 2; i++) {
        unsigned char *p = s + i * OSAL_SECTOR;
        if (rd32(p) != SB_MAGIC0 || rd32(p + 4) != SB_MAGIC1 || rd32(p + 32) != sb_sum(p))
            continue;
        if (found && rd32(p + 12) <= e->epoch) continue;
        found = 1;
        e->dbid = rd32(p + 8);
        e->epoch = rd32(p + 12);
        e->total_pages = rd32(p + 16);
        e->log_start = rd32(p + 20);
        e->log_pages = rd32(p + 24);
        e->meta_pgno = rd32(p + 28);
    }
    return found;
}

static int layout(engine *e, unsigned pages) {
    e->dbid = (unsigned)(osal_time_ns() * 2654435761u) ^ 0x5EED5EEDu;
    e->epoch = 1;
    e->total_pages = pages;
    e->log_start = 1;
    e->log_pages = pages / 16;
    if (e->log_pages < LOG_MIN_PAGES) e->log_pages = LOG_MIN_PAGES;
    if (e->log_pages > 4096) e->log_pages = 4096;
    e->meta_pgno = e->log_start + e->log_pages;
    return pages >= e->meta_pgno + 2 * OP_PAGES ? ENGINE_OK : ENGINE_EFULL;
}

static int prepare(engine *e) {
    if (e->failed) return e->failed;
    if (e->nuc + OP_PAGES > e->nframes || e->nuc + OP_PAGES > BATCH_MAX)
        if (wal_commit(e) < 0) return e->failed;
    if (wal_free(e) < BATCH_SECTORS(e->nuc + OP_PAGES))
        if (wal_checkpoint(e) < 0) return e->failed;
    return ENGINE_OK;
}

static void release(engine *e) {
    pool_free(e);
    osal_free(e->stage);
    osal_free(e->scratch);
    osal_free(e->cell);
    osal_free(e);
}

int engine_open(engine **out, unsigned pool_pages) {
    engine *e = (engine *)osal_alloc(sizeof(engine));
    unsigned pages = osal_vol_sectors() / SPP;
    int rc;
    *out = 0;
    if (!e) return ENGINE_ENOMEM;
    memset(e, 0, sizeof *e);
    e->stage = (unsigned char *)osal_alloc(STAGE_SECTORS * OSAL_SECTOR);
    e->scratch = (unsigned char *)osal_alloc(PAGE);
    e->cell = (unsigned char *)osal_alloc(8 + ENGINE_KEY_MAX + ENGINE_VALUE_MAX);
    rc = pool_init(e, pool_pages < ENGINE_POOL_MIN ? ENGINE_POOL_MIN : pool_pages);
    if (rc == ENGINE_OK && (!e->stage || !e->scratch || !e->cell)) rc = ENGINE_ENOMEM;
    if (rc == ENGINE_OK) {
        rc = sb_read(e);
        if (rc == 1) {
            if (e->total_pages > pages || e->meta_pgno >= e->total_pages) rc = ENGINE_ECORRUPT;
            else if ((rc = wal_recover(e)) == ENGINE_OK && (rc = bt_load_meta(e)) == ENGINE_OK)
                rc = wal_checkpoint(e);
        } else if (rc == 0 && (rc = layout(e, pages)) == ENGINE_OK && (rc = bt_format(e)) == ENGINE_OK) {
            rc = wal_checkpoint(e);
        }
    }
    if (rc == ENGINE_OK && e->st.recovered_batches) osal_log("engine: recovery replayed the log");
    if (rc < 0) { release(e); return rc; }
    *out = e;
    return ENGINE_OK;
}

int engine_close(engine *e) {
    int rc = e->failed ? e->failed : wal_checkpoint(e);
    release(e);
    return rc;
}

/* NULL with length 0 is fine for callers; the tree gets a real pointer. */
static const unsigned char empty[1] = { 0 };
#define BYTES(p) ((p) ? (const unsigned char *)(p) : empty)

static int key_ok(const void *key, unsigned klen) { return (key || klen == 0) && klen <= ENGINE_KEY_MAX; }

int engine_get(engine *e, const void *key, unsigned klen, void *val, unsigned cap, unsigned *vlen) {
    int rc;
    if (!key_ok(key, klen)) return ENGINE_EINVAL;
    if ((rc = prepare(e)) < 0) return rc;
    e->st.gets++;
    return bt_get(e, BYTES(key), klen, val, cap, vlen);
}

int engine_put(engine *e, const void *key, unsigned klen, const void *val, unsigned vlen) {
    int rc;
    if (!key_ok(key, klen) || vlen > ENGINE_VALUE_MAX || (vlen && !val)) return ENGINE_EINVAL;
    if ((rc = prepare(e)) < 0) return rc;
    /* Refuse up front rather than run out of pages half-way through a split. */
    if (e->next_free + OP_PAGES > e->total_pages) return ENGINE_EFULL;
    e->st.puts++;
    return bt_put(e, BYTES(key), klen, BYTES(val), vlen);
}

int engine_delete(engine *e, const void *key, unsigned klen) {
    int rc;
    if (!key_ok(key, klen)) return ENGINE_EINVAL;
    if ((rc = prepare(e)) < 0) return rc;
    e->st.deletes++;
    return bt_delete(e, BYTES(key), klen);
}

int engine_commit(engine *e) {
    if (e->failed) return e->failed;
    e->st.commits++;
    if (wal_commit(e) < 0) return e->failed;
    return prepare(e);
}

unsigned engine_count(engine *e) { return e->count; }

int engine_scan(engine *e, const void *start, unsigned slen, const void *end, unsigned elen,
                unsigned limit, engine_scan_fn fn, void *arg) {
    int rc;
    if (!key_ok(start, slen) || !fn) return ENGINE_EINVAL;
    if ((rc = prepare(e)) < 0) return rc;
    e->st.scans++;
    return bt_scan(e, BYTES(start), slen, (const unsigned char *)end, elen, limit, fn, arg);
}

struct scan_buf { unsigned char *buf; unsigned cap, used; int records; };

static int to_buf(void *arg, const void *key, unsigned klen, const void *val, unsigned vlen) {
    struct scan_buf *b = (struct scan_buf *)arg;
    unsigned char *p = b->buf + b->used;
    if (b->used + 4 + klen + vlen > b->cap) return 1;
    wr16(p, klen);
    memcpy(p + 2, key, klen);
    wr16(p + 2 + klen, vlen);
    memcpy(p + 4 + klen, val, vlen);
    b->used += 4 + klen + vlen;
    b->records++;
    return 0;
}

int engine_scan_buf(engine *e, const void *start, unsigned slen, const void *end, unsigned elen,
                    unsigned limit, void *buf, unsigned cap, unsigned *used) {
    struct scan_buf b;
    int rc;
    b.buf = (unsigned char *)buf;
    b.cap = buf ? cap : 0;
    b.used = 0;
    b.records = 0;
    rc = engine_scan(e, start, slen, end, elen, limit, to_buf, &b);
    if (used) *used = b.used;
    return rc < 0 ? rc : b.records;
}

void engine_get_stats(engine *e, struct engine_stats *out) { *out = e->st; }
