/* The buffer pool: a fixed number of page frames, found by a hash of the page number, kept
 * in LRU order. A frame is evicted (least recently used first) when it is not pinned and has
 * no uncommitted change; a dirty victim is written home first. Frames with uncommitted changes
 * stay until the next commit has put their images in the log ("no steal" for uncommitted data,
 * which is what keeps the tree on the volume consistent after a crash: see wal.c). */
#include <string.h>
#include "internal.h"

static unsigned hash(engine *e, unsigned pgno) { return (pgno * 2654435761u) & (e->nbuckets - 1); }

static void lru_unlink(engine *e, int i) {
    struct frame *f = &e->frames[i];
    if (f->prev >= 0) e->frames[f->prev].next = f->next; else e->lru_head = f->next;
    if (f->next >= 0) e->frames[f->next].prev = f->prev; else e->lru_tail = f->prev;
    f->prev = f->next = -1;
}

static void lru_push_head(engine *e, int i) {
    struct frame *f = &e->frames[i];
    f->prev = -1;
    f->next = e->lru_head;
    if (e->lru_head >= 0) e->frames[e->lru_head].prev = i; else e->lru_tail = i;
    e->lru_head = i;
}

static void hash_remove(engine *e, int i) {
    int *link = &e->buckets[hash(e, e->frames[i].pgno)];
    while (*link != i) link = &e->frames[*link].hnext;
    *link = e->frames[i].hnext;
}

int pool_init(engine *e, unsigned nframes) {
    unsigned i;
    e->nframes = nframes;
    e->nbuckets = 1;
    while (e->nbuckets < nframes * 2) e->nbuckets <<= 1;
    e->frames = (struct frame *)osal_alloc(nframes * sizeof(struct frame));
    e->buckets = (int *)osal_alloc(e->nbuckets * sizeof(int));
    e->uc = (int *)osal_alloc(nframes * sizeof(int));
    e->mem = (unsigned char *)osal_alloc((size_t)nframes * PAGE);
    if (!e->frames || !e->buckets || !e->uc || !e->mem) return ENGINE_ENOMEM;
    for (i = 0; i < e->nbuckets; i++) e->buckets[i] = -1;
    e->lru_head = e->lru_tail = -1;
    for (i = 0; i < nframes; i++) {
        struct frame *f = &e->frames[i];
        f->pgno = NO_PAGE;
        f->pins = 0;
        f->dirty = f->uncommitted = 0;
        f->prev = f->next = f->hnext = -1;
        f->data = e->mem + (size_t)i * PAGE;
        lru_push_head(e, (int)i);
    }
    e->nuc = 0;
    return ENGINE_OK;
}

void pool_free(engine *e) {
    osal_free(e->frames);
    osal_free(e->buckets);
    osal_free(e->uc);
    osal_free(e->mem);
    e->frames = 0; e->buckets = 0; e->uc = 0; e->mem = 0;
}

int pool_write_home(engine *e, struct frame *f) {
    if (osal_vol_write(f->pgno * SPP, f->data, SPP) < 0) return fail(e, ENGINE_EIO);
    f->dirty = 0;
    e->st.writebacks++;
    return ENGINE_OK;
}

/* A frame for a page not in the pool: a free one or the LRU victim. -1 if none is evictable. */
static int victim(engine *e) {
    int i;
    for (i = e->lru_tail; i >= 0; i = e->frames[i].prev) {
        struct frame *f = &e->frames[i];
        if (f->pins || f->uncommitted) continue;
        if (f->pgno != NO_PAGE) {
            if (f->dirty && pool_write_home(e, f) < 0) return -1;
            hash_remove(e, i);
            e->st.evictions++;
            f->pgno = NO_PAGE;
        }
        return i;
    }
    fail(e, ENGINE_ENOMEM);     /* cannot happen while callers keep OP_PAGES frames free */
    return -1;
}

static struct frame *lookup(engine *e, unsigned pgno) {
    int i;
    for (i = e->buckets[hash(e, pgno)]; i >= 0; i = e->frames[i].hnext) {
        if (e->frames[i].pgno == pgno) {
            lru_unlink(e, i);
            lru_push_head(e, i);
            e->frames[i].pins++;
            return &e->frames[i];
        }
    }
    return 0;
}

static struct frame *install(engine *e, unsigned pgno) {
    int i = victim(e);
    struct frame *f;
    unsigned h;
    if (i < 0) return 0;
    f = &e->frames[i];
    f->pgno = pgno;
    f->pins = 1;
    f->dirty = f->uncommitted = 0;
    h = hash(e, pgno);
    f->hnext = e->buckets[h];
    e->buckets[h] = i;
    lru_unlink(e, i);
    lru_push_head(e, i);
    return f;
}

struct frame *pool_fetch(engine *e, unsigned pgno) {
    struct frame *f;
    if (pgno >= e->total_pages) { fail(e, ENGINE_ECORRUPT); return 0; }
    f = lookup(e, pgno);
    if (f) { e->st.hits++; return f; }
    e->st.misses++;
    f = install(e, pgno);
    if (!f) return 0;
    if (osal_vol_read(pgno * SPP, f->data, SPP) < 0) {
        f->pins = 0;
        hash_remove(e, (int)(f - e->frames));
        f->pgno = NO_PAGE;
        fail(e, ENGINE_EIO);
        return 0;
    }
    return f;
}

struct frame *pool_create(engine *e, unsigned pgno) {
    struct frame *f = lookup(e, pgno);
    if (!f) f = install(e, pgno);
    if (f) memset(f->data, 0, PAGE);
    return f;
}

void pool_unpin(struct frame *f) { f->pins--; }

void pool_dirty(engine *e, struct frame *f) {
    f->dirty = 1;
    if (!f->uncommitted) {
        f->uncommitted = 1;
        e->uc[e->nuc++] = (int)(f - e->frames);
    }
}
