/* The file layer (files.h) over the OSAL: the site volume's entry table, read once at mount
 * and kept in memory, and the files' bytes through the page cache (cache.c). */
#include <string.h>
#include "osal.h"
#include "site.h"
#include "files.h"
#include "cache.h"

struct entry {
    unsigned kind, size, first, etag, parent;
    char path[SITE_PATH_MAX + 1];
};

static struct entry *table;
static unsigned nentries;
static unsigned long long bytes_read;

static unsigned get32(const unsigned char *p) {
    return (unsigned)p[0] | ((unsigned)p[1] << 8) | ((unsigned)p[2] << 16) | ((unsigned)p[3] << 24);
}

/* The superblock and table, checked: every file's bytes must lie inside the volume. */
static int load_table(void) {
    unsigned char sb[SITE_SECTOR];
    unsigned tsect, total, i;
    unsigned char *raw;
    if (osal_vol_read(0, sb, 1) < 0) return FILES_EIO;
    if (memcmp(sb, SITE_MAGIC, 8) != 0 || get32(sb + SB_VERSION) != SITE_VERSION) return FILES_EIO;
    nentries = get32(sb + SB_ENTRIES);
    tsect = get32(sb + SB_TABLE_SECTORS);
    total = get32(sb + SB_TOTAL_SECTORS);
    if (nentries == 0 || total > osal_vol_sectors() || (unsigned long long)nentries * SITE_ENTRY > (unsigned long long)tsect * SITE_SECTOR) return FILES_EIO;
    raw = osal_alloc((size_t)tsect * SITE_SECTOR);
    table = osal_alloc(nentries * sizeof *table);
    if (!raw || !table) return FILES_ENOMEM;
    if (osal_vol_read(1, raw, tsect) < 0) { osal_free(raw); return FILES_EIO; }
    for (i = 0; i < nentries; i++) {
        const unsigned char *e = raw + (size_t)i * SITE_ENTRY;
        struct entry *t = &table[i];
        t->kind = get32(e + SE_KIND);
        t->size = get32(e + SE_SIZE);
        t->first = get32(e + SE_FIRST);
        t->etag = get32(e + SE_ETAG);
        t->parent = get32(e + SE_PARENT);
        memcpy(t->path, e + SE_PATH, SITE_PATH_MAX);
        t->path[SITE_PATH_MAX] = 0;
        if ((t->kind != SITE_FILE && t->kind != SITE_DIR) || t->parent >= nentries) { osal_free(raw); return FILES_EIO; }
        if (t->kind == SITE_FILE && (t->first % (SITE_PAGE / SITE_SECTOR) != 0 ||
            (unsigned long long)t->first * SITE_SECTOR + t->size > (unsigned long long)total * SITE_SECTOR)) { osal_free(raw); return FILES_EIO; }
    }
    osal_free(raw);
    return table[0].kind == SITE_DIR && strcmp(table[0].path, "/") == 0 ? 0 : FILES_EIO;
}

int files_mount(unsigned cache_pages) {
    int rc = cache_init(cache_pages);
    if (rc < 0) return FILES_ENOMEM;
    bytes_read = 0;
    return load_table();
}

/* Byte order of `a` (n bytes) against the NUL-terminated `b`. */
static int compare(const char *a, unsigned n, const char *b) {
    unsigned i;
    for (i = 0; i < n; i++) {
        if (b[i] == 0) return 1;
        if ((unsigned char)a[i] != (unsigned char)b[i]) return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    }
    return b[n] == 0 ? 0 : -1;
}

int files_stat(const char *path, unsigned len, struct files_stat *out, unsigned will_read) {
    unsigned lo = 0, hi = nentries, slash = 0;
    (void)will_read;                 /* reads go through the page cache either way */
    if (len == 0 || path[0] != '/' || len > SITE_PATH_MAX) return FILES_ENOENT;
    if (len > 1 && path[len - 1] == '/') { slash = 1; len--; }
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        int c = compare(path, len, table[mid].path);
        if (c == 0) {
            if (slash && table[mid].kind != SITE_DIR) return FILES_ENOENT;
            out->id = mid;
            out->kind = table[mid].kind;
            out->size = table[mid].size;
            out->etag = table[mid].etag;
            return 0;
        }
        if (c < 0) hi = mid; else lo = mid + 1;
    }
    return FILES_ENOENT;
}

int files_read(unsigned id, unsigned off, void *buf, unsigned len) {
    const struct entry *e;
    unsigned done = 0;
    if (id >= nentries || table[id].kind != SITE_FILE) return FILES_EINVAL;
    e = &table[id];
    if (off >= e->size) return 0;
    if (len > e->size - off) len = e->size - off;
    while (done < len) {
        unsigned long long at = (unsigned long long)e->first * SITE_SECTOR + off + done;
        unsigned in_page = (unsigned)(at % SITE_PAGE), n = SITE_PAGE - in_page;
        const unsigned char *page = cache_page((unsigned)(at / SITE_PAGE));
        if (page == 0) return FILES_EIO;
        if (n > len - done) n = len - done;
        memcpy((unsigned char *)buf + done, page + in_page, n);
        done += n;
    }
    bytes_read += done;
    return (int)done;
}

int files_list(unsigned id, unsigned start, char *buf, unsigned cap, unsigned *used) {
    unsigned i, seen = 0, names = 0, at = 0;
    if (id >= nentries || table[id].kind != SITE_DIR) return FILES_EINVAL;
    for (i = 1; i < nentries; i++) {
        const char *name;
        unsigned n, dir;
        if (table[i].parent != id) continue;
        if (seen++ < start) continue;
        name = strrchr(table[i].path, '/') + 1;
        n = (unsigned)strlen(name);
        dir = table[i].kind == SITE_DIR;
        if (at + n + dir + 1 > cap) break;
        memcpy(buf + at, name, n);
        at += n;
        if (dir) buf[at++] = '/';
        buf[at++] = '\n';
        names++;
    }
    *used = at;
    return (int)names;
}

void files_get_counters(struct files_counters *out) {
    cache_counts(&out->hits, &out->misses, &out->pages);
    out->bytes = bytes_read;
}
