/* cache.h: the file layer's page cache (cache.c): 4 KiB pages of the volume, found by a hash
 * of the page number and replaced by the clock algorithm (a second chance for pages used since
 * the hand last passed). A miss reads the one page through the OSAL. */
#ifndef VAMOS_WEB_CACHE_H
#define VAMOS_WEB_CACHE_H

int cache_init(unsigned pages);
/* The page's bytes (SITE_PAGE of them), reading it on a miss; NULL when the volume fails. */
const unsigned char *cache_page(unsigned page);
void cache_counts(unsigned *hits, unsigned *misses, unsigned *pages);

#endif
