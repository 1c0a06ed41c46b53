/* dma.c: the DMA API (kernel.h): dma_map / dma_unmap in three modes, chosen by the command line
 * `iommu=off|strict|deferred` (default strict when the machine has an IOMMU, off otherwise).
 *
 *   off       no translation: the bus address is the physical address; unmap does nothing.
 *   strict    every unmap clears the PTEs and invalidates those pages at once (IVA + IOTLB: two
 *             register writes, two exits). The device loses access the moment unmap returns.
 *   deferred  the optimistic teardown: unmap clears the PTEs and queues the IOVA range; the queue
 *             is invalidated in one batch (one device or global invalidation: one exit) when it
 *             holds DEFER_BATCH entries or when the IOVA allocator runs short. Until then the
 *             IOTLB may still serve the old translation, so an IOVA is not handed out again
 *             before its batch has been flushed: a stale translation then points only at a
 *             buffer the device was recently given, never at someone else's new buffer.
 *
 * IOVAs come from one bitmap allocator over IOVA_PAGES pages at IOVA_BASE (next-fit, so freed
 * ranges are reused late, as IOVA allocators usually prefer). Mappings are page granular; the
 * returned bus address keeps the buffer's offset in its first page. */
#include "iommu.h"
#include <stdio.h>
#include <string.h>

#define IOVA_BASE   0x01000000u          /* never 0: a zero bus address is always a bug */
#define IOVA_PAGES  4096u                /* 16 MiB of IOVA space */
#define DEFER_BATCH 32
#define IOVA_LOW    64                   /* "running short": fewer free pages than this */

int dma_mode = DMA_OFF;
struct dma_stats dma_stats;

static uint32_t iova_used[IOVA_PAGES / 32];
static unsigned iova_cursor, iova_free = IOVA_PAGES;

struct deferred {
    unsigned sid;
    uint32_t page;        /* first IOVA page number */
    unsigned npages;
};
static struct deferred defer_q[DEFER_BATCH];
static unsigned defer_n;

static int page_used(unsigned i) { return (iova_used[i >> 5] >> (i & 31)) & 1; }

static void mark(unsigned first, unsigned n, int used) {
    unsigned i;
    for (i = first; i < first + n; i++) {
        if (used) iova_used[i >> 5] |= 1u << (i & 31);
        else iova_used[i >> 5] &= ~(1u << (i & 31));
    }
    if (used) iova_free -= n;
    else iova_free += n;
}

/* Next-fit search for n free pages; their index, or -1. */
static int iova_find(unsigned n) {
    unsigned tried = 0, i = iova_cursor, run;
    if (n > iova_free) return -1;
    while (tried < IOVA_PAGES) {
        if (i + n > IOVA_PAGES) {           /* a run cannot wrap around the end */
            tried += IOVA_PAGES - i;
            i = 0;
            continue;
        }
        for (run = 0; run < n && !page_used(i + run); run++) {}
        if (run == n) {
            iova_cursor = (i + n) % IOVA_PAGES;
            return (int)i;
        }
        tried += run + 1;
        i += run + 1;
    }
    return -1;
}

/* Deferred mode: invalidate everything queued with one register write, then release the IOVAs. */
static void defer_flush(void) {
    unsigned i, sid;
    int same = 1;
    if (defer_n == 0) return;
    sid = defer_q[0].sid;
    for (i = 1; i < defer_n; i++)
        if (defer_q[i].sid != sid) same = 0;
    if (same) iommu_inv_device(sid);
    else iommu_inv_global();
    dma_stats.invalidations++;
    dma_stats.deferred_flushes++;
    for (i = 0; i < defer_n; i++) mark(defer_q[i].page - IOVA_BASE / PAGE_SIZE, defer_q[i].npages, 0);
    defer_n = 0;
}

static unsigned span_pages(uint32_t addr, unsigned len) {
    if (len == 0) len = 1;
    return ((addr + len - 1) >> 12) - (addr >> 12) + 1;
}

void dma_init(void) {
    char buf[16];
    const char *v = cmdline_get("iommu", buf, sizeof buf);
    int have = boot_info->iommu_base != 0;
    dma_mode = have ? DMA_STRICT : DMA_OFF;
    if (v != NULL) {
        if (strcmp(v, "off") == 0) dma_mode = DMA_OFF;
        else if (strcmp(v, "strict") == 0) dma_mode = DMA_STRICT;
        else if (strcmp(v, "deferred") == 0) dma_mode = DMA_DEFERRED;
        else printf("dma: unknown iommu=%s (expected off, strict or deferred); using %s\n", v, have ? "strict" : "off");
    }
    if (dma_mode != DMA_OFF && !have) {
        printf("dma: iommu=%s but the machine has no IOMMU; DMA is untranslated\n", v);
        dma_mode = DMA_OFF;
    }
    if (dma_mode != DMA_OFF && iommu_enable() != 0) {
        printf("dma: the IOMMU could not be enabled; DMA is untranslated\n");
        dma_mode = DMA_OFF;
    }
    printf("dma: iommu %s\n", dma_mode == DMA_OFF ? (have ? "off (translation disabled)" : "off (none present)")
                               : dma_mode == DMA_STRICT ? "strict" : "deferred");
}

uint32_t dma_map(unsigned source_id, const void *buf, unsigned len, int dir) {
    uint32_t pa = kernel_pa(buf), iova;
    unsigned n, i, perms;
    int first;
    unsigned s;
    s = irq_save();
    dma_stats.maps++;
    if (dma_mode == DMA_OFF) {
        irq_restore(s);
        return pa;
    }
    n = span_pages(pa, len);
    perms = ((dir & DMA_TO_DEVICE) ? IOMMU_PTE_R : 0) | ((dir & DMA_FROM_DEVICE) ? IOMMU_PTE_W : 0);
    /* Running short: the queued IOVAs become free once their batch is invalidated. */
    if (defer_n > 0 && iova_free < n + IOVA_LOW) defer_flush();
    first = iova_find(n);
    if (first < 0 && defer_n > 0) {         /* free but fragmented */
        defer_flush();
        first = iova_find(n);
    }
    if (first < 0) panic("dma: out of IOVA space mapping %u pages for device %u", n, source_id);
    mark((unsigned)first, n, 1);
    iova = IOVA_BASE + (unsigned)first * PAGE_SIZE;
    for (i = 0; i < n; i++)
        if (iommu_map_page(source_id, iova + i * PAGE_SIZE, (pa & 0xfffff000u) + i * PAGE_SIZE, perms) != 0)
            panic("dma: no memory for IOMMU page tables");
    irq_restore(s);
    /* Mapping needs no invalidation: not-present results are never cached (docs/iommu.md). */
    return iova + (pa & 0xfffu);
}

void dma_unmap(unsigned source_id, uint32_t bus, unsigned len) {
    uint32_t page = bus & 0xfffff000u;
    unsigned n, i, s;
    s = irq_save();
    dma_stats.unmaps++;
    if (dma_mode == DMA_OFF) {
        irq_restore(s);
        return;
    }
    n = span_pages(bus, len);
    for (i = 0; i < n; i++) iommu_unmap_page(source_id, page + i * PAGE_SIZE);
    if (dma_mode == DMA_STRICT) {
        iommu_inv_pages(source_id, page, n);
        dma_stats.invalidations++;
        mark((page - IOVA_BASE) / PAGE_SIZE, n, 0);
    } else {
        if (defer_n == DEFER_BATCH) defer_flush();
        defer_q[defer_n].sid = source_id;
        defer_q[defer_n].page = page / PAGE_SIZE;
        defer_q[defer_n].npages = n;
        defer_n++;
        if (defer_n == DEFER_BATCH) defer_flush();
    }
    irq_restore(s);
}
