/* The write-ahead log: redo-only, of whole page images.
 *
 * A commit appends one batch to the log region: a header sector (magic, database id, epoch,
 * batch number, page count, checksum, the page numbers) followed by the images of every page
 * changed since the previous commit, then flushes. The flush returning is the commit point.
 * The checksum covers the header and all images, so a batch torn by a crash (any subset of its
 * sectors written) fails its check; recovery stops at the first batch that does not check out
 * or does not carry the expected epoch and number, so a torn batch, which can only be the last
 * one, is ignored.
 *
 * Pages reach their home on the volume only when committed (pool.c never evicts an
 * uncommitted page), so every page's home holds either its image at the last checkpoint or one
 * of its images in the log; replaying the log in order brings every page to its last committed
 * image: the tree of the last commit, never a torn one.
 *
 * A checkpoint commits, writes every dirty page home, flushes, and starts a new epoch (a new
 * superblock): the log is empty again. The engine checkpoints when the log could not take the
 * next commit, so the log is bounded by its region. */
#include <string.h>
#include "internal.h"

#define LOG_MAGIC 0x474F4C56u   /* "VLOG" */

unsigned wal_free(engine *e) { return e->log_pages * SPP - e->log_pos; }

static unsigned log_sector(engine *e, unsigned pos) { return e->log_start * SPP + pos; }

static int put_stage(engine *e, unsigned *at, const unsigned char *page) {
    if (e->stage_len + SPP > STAGE_SECTORS) {
        if (osal_vol_write(*at, e->stage, e->stage_len) < 0) return fail(e, ENGINE_EIO);
        *at += e->stage_len;
        e->stage_len = 0;
    }
    memcpy(e->stage + e->stage_len * OSAL_SECTOR, page, PAGE);
    e->stage_len += SPP;
    return ENGINE_OK;
}

int wal_commit(engine *e) {
    unsigned n = e->nuc, i, at;
    struct csum c;
    unsigned char *h = e->stage;
    if (e->failed) return e->failed;
    if (n == 0) return ENGINE_OK;
    if (BATCH_SECTORS(n) > wal_free(e) || n > BATCH_MAX) return fail(e, ENGINE_EIO); /* engine.c prevents it */
    memset(h, 0, OSAL_SECTOR);
    wr32(h, LOG_MAGIC);
    wr32(h + 4, e->dbid);
    wr32(h + 8, e->epoch);
    wr32(h + 12, e->log_seq);
    wr32(h + 16, n);
    for (i = 0; i < n; i++) wr32(h + 24 + 4 * i, e->frames[e->uc[i]].pgno);
    csum_init(&c);
    csum_update(&c, h, 20);
    csum_update(&c, h + 24, 4 * n);
    for (i = 0; i < n; i++) csum_update(&c, e->frames[e->uc[i]].data, PAGE);
    wr32(h + 20, csum_final(&c));
    e->stage_len = 1;
    at = log_sector(e, e->log_pos);
    for (i = 0; i < n; i++)
        if (put_stage(e, &at, e->frames[e->uc[i]].data) < 0) return e->failed;
    if (osal_vol_write(at, e->stage, e->stage_len) < 0) return fail(e, ENGINE_EIO);
    if (osal_vol_flush() < 0) return fail(e, ENGINE_EIO);
    for (i = 0; i < n; i++) e->frames[e->uc[i]].uncommitted = 0;
    e->nuc = 0;
    e->log_pos += BATCH_SECTORS(n);
    e->log_seq++;
    e->st.log_batches++;
    e->st.log_sectors += BATCH_SECTORS(n);
    e->st.flushes++;
    return ENGINE_OK;
}

int wal_checkpoint(engine *e) {
    unsigned i;
    if (wal_commit(e) < 0) return e->failed;
    for (i = 0; i < e->nframes; i++) {
        struct frame *f = &e->frames[i];
        if (f->pgno != NO_PAGE && f->dirty && pool_write_home(e, f) < 0) return e->failed;
    }
    if (osal_vol_flush() < 0) return fail(e, ENGINE_EIO);
    e->st.flushes++;
    e->epoch++;
    e->log_pos = 0;
    e->log_seq = 0;
    e->st.checkpoints++;
    return sb_write(e);
}

/* Reads a batch at log position `pos` and checks it; its header stays in e->stage.
 * Returns its page count, or 0 when it is not a valid batch of this epoch. */
static unsigned check_batch(engine *e, unsigned pos) {
    unsigned char *h = e->stage;
    unsigned n, i;
    struct csum c;
    if (pos + 1 > e->log_pages * SPP) return 0;
    if (osal_vol_read(log_sector(e, pos), h, 1) < 0) return 0;
    n = rd32(h + 16);
    if (rd32(h) != LOG_MAGIC || rd32(h + 4) != e->dbid || rd32(h + 8) != e->epoch ||
        rd32(h + 12) != e->log_seq || n == 0 || n > BATCH_MAX ||
        pos + BATCH_SECTORS(n) > e->log_pages * SPP)
        return 0;
    csum_init(&c);
    csum_update(&c, h, 20);
    csum_update(&c, h + 24, 4 * n);
    for (i = 0; i < n; i++) {
        if (rd32(h + 24 + 4 * i) >= e->total_pages) return 0;
        if (osal_vol_read(log_sector(e, pos + 1 + i * SPP), e->scratch, SPP) < 0) return 0;
        csum_update(&c, e->scratch, PAGE);
    }
    return csum_final(&c) == rd32(h + 20) ? n : 0;
}

int wal_recover(engine *e) {
    unsigned n, i;
    e->log_pos = 0;
    e->log_seq = 0;
    e->st.recovered_batches = 0;
    while ((n = check_batch(e, e->log_pos)) != 0) {
        for (i = 0; i < n; i++) {
            unsigned pgno = rd32(e->stage + 24 + 4 * i);
            if (osal_vol_read(log_sector(e, e->log_pos + 1 + i * SPP), e->scratch, SPP) < 0 ||
                osal_vol_write(pgno * SPP, e->scratch, SPP) < 0)
                return fail(e, ENGINE_EIO);
        }
        e->log_pos += BATCH_SECTORS(n);
        e->log_seq++;
        e->st.recovered_batches++;
    }
    if (e->st.recovered_batches && osal_vol_flush() < 0) return fail(e, ENGINE_EIO);
    return ENGINE_OK;
}
