/* internal.h: what the engine's files share (docs/database.md has the picture). */
#ifndef VAMOS_ENGINE_INTERNAL_H
#define VAMOS_ENGINE_INTERNAL_H

#include "engine.h"
#include "osal.h"

#define PAGE            ENGINE_PAGE_SIZE
#define SPP             (PAGE / OSAL_SECTOR)    /* sectors per page */
#define NO_PAGE         0xFFFFFFFFu
#define MAX_HEIGHT      6                       /* levels of the tree, leaves included */
/* Distinct pages one put may touch: the path, a new sibling per level, a new root, the meta
 * page. Before each operation the pool keeps this many frames evictable. */
#define OP_PAGES        (2 * MAX_HEIGHT + 2)
/* Page numbers of one log batch fit in its header sector. */
#define BATCH_MAX       112
#define BATCH_SECTORS(n) (1 + (n) * SPP)
#define LOG_MIN_PAGES   128                     /* > BATCH_SECTORS(BATCH_MAX) sectors */
#define STAGE_SECTORS   (1 + 2 * SPP)           /* log writes are gathered up to this size */

struct frame {
    unsigned pgno;              /* NO_PAGE when free */
    unsigned pins;
    unsigned char dirty;        /* differs from the page's home on the volume */
    unsigned char uncommitted;  /* changed since the last commit: not in the log yet */
    int prev, next;             /* LRU list: head = most recently used */
    int hnext;                  /* hash chain */
    unsigned char *data;
};

struct engine {
    /* buffer pool (pool.c) */
    struct frame *frames;
    unsigned nframes;
    int *buckets;
    unsigned nbuckets;          /* a power of two */
    int lru_head, lru_tail;
    int *uc;                    /* frames with uncommitted changes */
    unsigned nuc;
    unsigned char *mem;
    /* superblock (engine.c) */
    unsigned dbid, epoch, total_pages, log_start, log_pages, meta_pgno;
    /* meta page, cached (btree.c keeps the page in step) */
    unsigned root, next_free, count;
    /* log (wal.c) */
    unsigned log_pos, log_seq;  /* next sector within the log region; next batch number */
    unsigned char *stage;
    unsigned stage_len;
    /* scratch for node rebuilds (btree.c) */
    unsigned char *scratch;     /* one page */
    unsigned char *cell;        /* one cell */
    int failed;                 /* sticky: after an I/O error nothing more is done */
    struct engine_stats st;
};

/* little-endian fields in page images */
static inline unsigned rd16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static inline unsigned rd32(const unsigned char *p) {
    return p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}
static inline void wr16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static inline void wr32(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

/* checksum.c */
struct csum { unsigned a, b; };
void csum_init(struct csum *c);
void csum_update(struct csum *c, const void *buf, unsigned len);    /* len % 4 == 0, aligned */
unsigned csum_final(const struct csum *c);

/* pool.c */
int pool_init(engine *e, unsigned nframes);
void pool_free(engine *e);
struct frame *pool_fetch(engine *e, unsigned pgno);   /* pinned; NULL: e->failed says why */
struct frame *pool_create(engine *e, unsigned pgno);  /* pinned, zeroed, not read */
void pool_unpin(struct frame *f);
void pool_dirty(engine *e, struct frame *f);
int pool_write_home(engine *e, struct frame *f);      /* writes one dirty page home */

/* wal.c */
int wal_commit(engine *e);      /* logs every uncommitted page and flushes */
int wal_checkpoint(engine *e);  /* commit, write dirty pages home, new epoch: log empty */
int wal_recover(engine *e);     /* replays the current epoch's log onto the volume */
unsigned wal_free(engine *e);   /* free sectors in the log region */
int sb_write(engine *e);        /* engine.c: the superblock for e->epoch, flushed */

/* btree.c */
int bt_get(engine *e, const unsigned char *key, unsigned klen, void *val, unsigned cap, unsigned *vlen);
int bt_put(engine *e, const unsigned char *key, unsigned klen, const unsigned char *val, unsigned vlen);
int bt_delete(engine *e, const unsigned char *key, unsigned klen);
int bt_scan(engine *e, const unsigned char *start, unsigned slen, const unsigned char *end, unsigned elen,
            unsigned limit, engine_scan_fn fn, void *arg);
int bt_format(engine *e);       /* an empty tree: meta page and a root leaf */
int bt_load_meta(engine *e);

int fail(engine *e, int code);  /* engine.c: records a sticky error */

#endif
