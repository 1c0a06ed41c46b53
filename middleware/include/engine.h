/* engine.h: the storage-engine interface (docs/database.md). A key-value store with ordered
 * keys: a B+tree over 4 KiB pages, a buffer pool with LRU eviction and a write-ahead log.
 * The front end (middleware/server) uses only this interface, so the engine can live in the
 * guest or, behind a stub making one hypercall per operation, at the hypervisor level.
 *
 * Keys are 0..ENGINE_KEY_MAX bytes (the empty key too, as Redis allows), ordered by memcmp (a
 * shorter key that is a prefix of a longer one sorts first); values are 0..ENGINE_VALUE_MAX bytes. Both are arbitrary bytes.
 *
 * Durability: engine_commit returns ENGINE_OK only after every change made so far is in the
 * log and the log is flushed; such changes survive any crash. Changes not yet committed may
 * or may not survive (the engine commits on its own when it needs the room), but a crash never
 * leaves a torn tree: recovery restores the state of some commit at or after the last
 * acknowledged one. Commit is a durability barrier, not a transaction: there is no rollback.
 *
 * One engine per volume (the OSAL's); calls must not overlap (no threads, and a scan callback
 * must not call back into the engine). */
#ifndef VAMOS_ENGINE_H
#define VAMOS_ENGINE_H

#define ENGINE_KEY_MAX      64
#define ENGINE_VALUE_MAX    1000
#define ENGINE_PAGE_SIZE    4096
#define ENGINE_POOL_MIN     16      /* buffer-pool pages: at least this many */

#define ENGINE_OK           0
#define ENGINE_NOTFOUND     (-1)    /* get/delete: no such key */
#define ENGINE_EINVAL       (-2)    /* key too long, value too long, bad argument */
#define ENGINE_EIO          (-3)    /* the volume failed; the engine must be closed */
#define ENGINE_ENOMEM       (-4)
#define ENGINE_EFULL        (-5)    /* the volume has no free page left */
#define ENGINE_ECORRUPT     (-6)    /* a page failed its sanity checks */
#define ENGINE_ETOOSMALL    (-7)    /* get: the value does not fit the caller's buffer (*vlen says how big) */

typedef struct engine engine;

/* Opens the engine on the OSAL volume with a buffer pool of `pool_pages` pages (raised to
 * ENGINE_POOL_MIN). A volume without a valid superblock is formatted; otherwise the log is
 * replayed (recovery) and a checkpoint taken. */
int engine_open(engine **out, unsigned pool_pages);
/* Checkpoints and frees everything. The pointer is invalid afterwards even on error. */
int engine_close(engine *e);

int engine_get(engine *e, const void *key, unsigned klen, void *val, unsigned cap, unsigned *vlen);
int engine_put(engine *e, const void *key, unsigned klen, const void *val, unsigned vlen);
int engine_delete(engine *e, const void *key, unsigned klen);
int engine_commit(engine *e);
/* Number of keys stored. */
unsigned engine_count(engine *e);

/* Calls fn for each key k with start <= k <= end (end == NULL: no upper bound;
 * end may be of any length), in key order,
 * at most `limit` times (0: no limit); stops early when fn returns non-zero. Returns the
 * number of calls or a negative ENGINE_E*. */
typedef int (*engine_scan_fn)(void *arg, const void *key, unsigned klen, const void *val, unsigned vlen);
int engine_scan(engine *e, const void *start, unsigned slen, const void *end, unsigned elen,
                unsigned limit, engine_scan_fn fn, void *arg);
/* The same into a buffer: records of [klen: 2 bytes LE][key][vlen: 2 bytes LE][value], as
 * many whole records as fit in `cap`; *used gets the bytes written. Returns the record count. */
int engine_scan_buf(engine *e, const void *start, unsigned slen, const void *end, unsigned elen,
                    unsigned limit, void *buf, unsigned cap, unsigned *used);

struct engine_stats {
    unsigned long long gets, puts, deletes, scans, commits;
    unsigned long long hits, misses, evictions, writebacks; /* buffer pool */
    unsigned long long log_batches, log_sectors, checkpoints, flushes;
    unsigned long long recovered_batches;                   /* at the last open */
};
void engine_get_stats(engine *e, struct engine_stats *out);
/* A short name for an ENGINE_* code. */
const char *engine_strerror(int code);

#endif
