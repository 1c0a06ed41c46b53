/* The page cache of the file layer (cache.h). */
#include <stdlib.h>
#include "osal.h"
#include "site.h"
#include "cache.h"

#define NONE 0xFFFFFFFFu
#define SECTORS_PER_PAGE (SITE_PAGE / SITE_SECTOR)

static unsigned npages, nbuckets, hand, hits, misses;
static unsigned *tag;          /* the volume page held by each slot, NONE when empty */
static unsigned *next;         /* the hash chain through slots */
static unsigned *bucket;       /* the first slot of each chain */
static unsigned char *used;    /* the clock's reference bits */
static unsigned char *data;

static unsigned hash(unsigned page) { return (page * 2654435761u) & (nbuckets - 1); }

int cache_init(unsigned pages) {
    unsigned i;
    if (pages == 0) pages = 1;
    npages = pages;
    for (nbuckets = 1; nbuckets < 2 * pages; nbuckets <<= 1) {}
    tag = osal_alloc(pages * sizeof *tag);
    next = osal_alloc(pages * sizeof *next);
    bucket = osal_alloc(nbuckets * sizeof *bucket);
    used = osal_alloc(pages);
    data = osal_alloc((size_t)pages * SITE_PAGE);
    if (!tag || !next || !bucket || !used || !data) return OSAL_ENOMEM;
    for (i = 0; i < pages; i++) { tag[i] = NONE; next[i] = NONE; used[i] = 0; }
    for (i = 0; i < nbuckets; i++) bucket[i] = NONE;
    hand = hits = misses = 0;
    return 0;
}

static void unlink_slot(unsigned slot) {
    unsigned *p = &bucket[hash(tag[slot])];
    while (*p != slot) p = &next[*p];
    *p = next[slot];
}

/* The clock: skip (and clear) recently used slots; take the first that was not. */
static unsigned victim(void) {
    for (;;) {
        unsigned s = hand;
        hand = (hand + 1) % npages;
        if (tag[s] == NONE || !used[s]) return s;
        used[s] = 0;
    }
}

const unsigned char *cache_page(unsigned page) {
    unsigned s, h = hash(page);
    for (s = bucket[h]; s != NONE; s = next[s]) {
        if (tag[s] == page) {
            hits++;
            used[s] = 1;
            return data + (size_t)s * SITE_PAGE;
        }
    }
    misses++;
    s = victim();
    if (tag[s] != NONE) unlink_slot(s);
    tag[s] = NONE;
    if (osal_vol_read(page * SECTORS_PER_PAGE, data + (size_t)s * SITE_PAGE, SECTORS_PER_PAGE) < 0) return 0;
    tag[s] = page;
    used[s] = 1;
    next[s] = bucket[h];
    bucket[h] = s;
    return data + (size_t)s * SITE_PAGE;
}

void cache_counts(unsigned *h, unsigned *m, unsigned *p) { *h = hits; *m = misses; *p = npages; }
