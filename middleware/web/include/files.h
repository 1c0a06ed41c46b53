/* files.h: the web server's file layer (docs/web.md): a read-only site volume (site.h) behind
 * a page cache. The HTTP front end (middleware/web/http) sees only this interface; it is
 * implemented twice, like the database's engine.h:
 *   middleware/web/files/     the layer itself, over the OSAL (osal.h): in the guest over the
 *                             kernel's virtio-blk driver, or at the hypervisor level over host calls
 *   middleware/web/vamos/stub.c  the guest-side stub that hands each operation to the layer at
 *                             the hypervisor level, one hypercall per operation
 * Error convention: 0 (or a count) on success, a negative FILES_E* on failure. */
#ifndef VAMOS_FILES_H
#define VAMOS_FILES_H

#define FILES_ENOENT  (-2)     /* no such path */
#define FILES_EIO     (-5)     /* the volume failed or is not a site volume */
#define FILES_EINVAL  (-22)    /* a bad argument (an id that names nothing, a directory read) */
#define FILES_ENOMEM  (-12)

#define FILES_KIND_FILE 1
#define FILES_KIND_DIR  2

struct files_stat {
    unsigned id;        /* names the entry in files_read and files_list */
    unsigned kind;      /* FILES_KIND_FILE or FILES_KIND_DIR */
    unsigned size;      /* bytes of a file */
    unsigned etag;      /* changes when the bytes do (a hash of them) */
};

struct files_counters {
    unsigned hits, misses;      /* page-cache lookups */
    unsigned pages;             /* the cache's size */
    unsigned long long bytes;   /* bytes handed to callers by files_read */
};

/* Mounts the site volume with a page cache of `cache_pages` 4 KiB pages (at least 1). */
int files_mount(unsigned cache_pages);

/* The entry at `path` (len bytes, starts with '/'; a trailing '/' is allowed for a directory).
 * `will_read`: how many bytes from offset 0 the caller reads next if it is a file (a GET's
 * first piece; 0 for HEAD, a conditional or a range). The local layer reads through its cache
 * anyway and ignores it; the stub fetches those bytes in the same hypercall as the stat, so a
 * small file's GET is one crossing, not two. */
int files_stat(const char *path, unsigned len, struct files_stat *out, unsigned will_read);

/* Up to `len` bytes of file `id` from byte `off` -> bytes read (0 at or past the end). */
int files_read(unsigned id, unsigned off, void *buf, unsigned len);

/* The names in directory `id` from its `start`-th child on, each followed by '\n' (a
 * subdirectory's name ends with '/'), as many as fit in `cap` bytes -> the names written;
 * *used is set to the bytes. Fewer names than children remain means call again from start+n. */
int files_list(unsigned id, unsigned start, char *buf, unsigned cap, unsigned *used);

void files_get_counters(struct files_counters *out);

#endif
