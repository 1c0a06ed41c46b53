/* selftest.c: the drivers' self-test, compiled only with -DDRIVERS_SELFTEST
 * (buildKernel({ defines: ['DRIVERS_SELFTEST'] }); tests/os/drivers*.test.ts). It runs at the
 * end of drivers_init, before any process exists, exercises the boot fs, the first data disk and
 * the network device, prints `selftest:` lines that the host test checks (together with the
 * backends' bytes and the exit counters) and powers off with 0 when everything held.
 *
 * Data-disk pattern (the host test computes the same): byte i of sector s, written with seed k,
 * is (s * 31 + i * 7 + k) & 0xff. Areas: sectors 8..23 seed 1, 64..575 seed 2 (a 256 KiB
 * transfer: four 64 KiB requests), 1024 + 8j .. +7 seed 3 + j for j < 8 (eight requests in
 * flight at once). The network part expects the peer to echo every frame back. */
#ifdef DRIVERS_SELFTEST
#include "virtio.h"
#include "iommu.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void virtio_net_stats(unsigned *rx, unsigned *tx, unsigned *busy);
int blk_read_raw(struct blkdev *dev, uint32_t sector, uint32_t bus, unsigned count);
void blk_break(struct blkdev *b);

static int errors;

static void check(int ok, const char *what) {
    if (!ok) {
        errors++;
        printf("selftest: FAILED: %s\n", what);
    }
}

static void fill(uint8_t *p, uint32_t sector, unsigned count, unsigned seed) {
    unsigned s, i;
    for (s = 0; s < count; s++)
        for (i = 0; i < 512; i++) p[s * 512 + i] = (uint8_t)((sector + s) * 31 + i * 7 + seed);
}

static int verify(const uint8_t *p, uint32_t sector, unsigned count, unsigned seed) {
    unsigned s, i;
    for (s = 0; s < count; s++)
        for (i = 0; i < 512; i++)
            if (p[s * 512 + i] != (uint8_t)((sector + s) * 31 + i * 7 + seed)) return 0;
    return 1;
}

static uint32_t crc(const uint8_t *p, unsigned n) {
    uint32_t c = 0xffffffffu;
    unsigned i, j;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (j = 0; j < 8; j++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void test_bootfs(void) {
    const struct bootfs_entry *e;
    unsigned i;
    if (bootfs_mount() != 0) {
        printf("selftest: no boot fs\n");
        return;
    }
    printf("selftest: bootfs cmdline \"%s\", %d data disks\n", bootfs_cmdline(), datadisk_count());
    for (i = 0; (e = bootfs_entry_at(i)) != NULL; i++) {
        uint8_t *all = malloc(e->size + 1), *part;
        unsigned off = e->size / 3, len = e->size / 2 + 1;
        int n = bootfs_read(e, 0, all, e->size + 100);
        check(n == (int)e->size, "bootfs_read of a whole file returns its size");
        check(crc(all, e->size) == e->checksum, "file checksum");
        part = malloc(len);
        n = bootfs_read(e, off, part, len);
        check(n == (int)(len < e->size - off ? len : e->size - off), "bootfs_read of a middle range");
        check(memcmp(part, all + off, (unsigned)n) == 0, "middle range bytes");
        check(bootfs_read(e, e->size, part, 1) == 0, "bootfs_read at the end returns 0");
        check(bootfs_find(e->name) == e, "bootfs_find");
        printf("selftest: file %s %u bytes ok\n", e->name, e->size);
        free(part);
        free(all);
    }
    check(bootfs_find("no-such-file") == NULL, "bootfs_find of a missing name");
}

static void test_disk(struct blkdev *d) {
    uint8_t *a = (uint8_t *)page_alloc(), *big, *bufs[8];
    struct blk_req reqs[8];
    unsigned sub0, comp0, maxf, kicks0, supp0, sub1, comp1, kicks1, supp1, j;
    unsigned maps0 = dma_stats.maps;
    big = malloc(512 * 512);
    /* Sync write and read back. */
    fill(a, 8, 8, 1);
    fill(big, 16, 8, 1);
    check(blk_write(d, 8, a, 8) == 0 && blk_write(d, 16, big, 8) == 0, "write sectors 8..23");
    memset(big, 0, 16 * 512);
    check(blk_read(d, 8, big, 16) == 0 && verify(big, 8, 16, 1), "read back sectors 8..23");
    printf("selftest: dma maps for 3 requests: %u\n", dma_stats.maps - maps0);
    /* One 256 KiB transfer: four virtio requests, one notification. */
    fill(big, 64, 512, 2);
    check(blk_write(d, 64, big, 512) == 0, "256 KiB write");
    memset(big, 0, 512 * 512);
    blk_stats(d, &sub0, &comp0, &maxf, &kicks0, &supp0);
    check(blk_read(d, 64, big, 512) == 0 && verify(big, 64, 512, 2), "256 KiB read back");
    blk_stats(d, &sub1, &comp1, &maxf, &kicks1, &supp1);
    printf("selftest: large read: %u requests, %u notifications\n", sub1 - sub0, kicks1 - kicks0);
    /* Eight requests in flight at once. */
    for (j = 0; j < 8; j++) {
        bufs[j] = malloc(8 * 512);
        fill(bufs[j], 1024 + 8 * j, 8, 3 + j);
        memset(&reqs[j], 0, sizeof reqs[j]);
        reqs[j].dev = d;
        reqs[j].write = 1;
        reqs[j].sector = 1024 + 8 * j;
        reqs[j].buf = bufs[j];
        reqs[j].count = 8;
        blk_submit(&reqs[j]);
    }
    for (j = 0; j < 8; j++) check(blk_wait(&reqs[j]) == 0, "write in flight");
    for (j = 0; j < 8; j++) {
        memset(bufs[j], 0, 8 * 512);
        reqs[j].write = 0;
        blk_submit(&reqs[j]);
    }
    for (j = 0; j < 8; j++) check(blk_wait(&reqs[j]) == 0 && verify(bufs[j], 1024 + 8 * j, 8, 3 + j), "read in flight");
    blk_stats(d, &sub1, &comp1, &maxf, &kicks1, &supp1);
    printf("selftest: in flight: max %u descriptors\n", maxf);
    check(blk_flush(d) == 0, "flush");
    check(blk_read(d, blk_sectors(d) - 1, a, 2) == -E_IO, "a read past the end fails");
    if (dma_mode != DMA_OFF) {
        /* A buffer the device was never given: the IOMMU must refuse the write and log it. */
        check(blk_read_raw(d, 8, 0x00F00000u, 8) == -E_IO, "DMA to an unmapped IOVA fails");
        printf("selftest: iommu faults logged: %u\n", iommu_faults_logged());
    }
    blk_stats(d, &sub1, &comp1, &maxf, &kicks1, &supp1);
    printf("selftest: disk: %u requests, %u completed, %u notifications, %u suppressed\n", sub1, comp1, kicks1, supp1);
    for (j = 0; j < 8; j++) free(bufs[j]);
    free(big);
    page_free((uint32_t)a);
}

static struct waitq net_wq;
static unsigned net_got, net_bad;
static const unsigned net_lens[4] = { 60, 100, 1000, 1514 };

static void net_rx(const uint8_t *frame, unsigned len) {
    unsigned i;
    if (net_got >= 4 || len != net_lens[net_got]) net_bad++;
    else
        for (i = 12; i < len; i++)
            if (frame[i] != (uint8_t)(i + net_got)) { net_bad++; break; }
    net_got++;
    wake_all(&net_wq);
}

static void test_net(void) {
    uint8_t *f = malloc(1514);
    unsigned i, k, s, rx, tx, busy;
    uint64_t deadline;
    net_set_rx(net_rx);
    for (k = 0; k < 4; k++) {
        memset(f, 0xff, 6);                         /* broadcast */
        memcpy(f + 6, net_mac(), 6);
        for (i = 12; i < net_lens[k]; i++) f[i] = (uint8_t)(i + k);
        check(net_send(f, net_lens[k]) == 0, "net_send");
    }
    check(net_send(f, 4000) == -E_MSGSIZE, "an oversized frame is refused");
    deadline = time_ns() + 100000000ull;            /* 100 ms of virtual time */
    s = irq_save();
    while (net_got < 4 && time_ns() < deadline) sleep_on(&net_wq);
    irq_restore(s);
    check(net_got == 4 && net_bad == 0, "four frames echoed intact");
    virtio_net_stats(&rx, &tx, &busy);
    printf("selftest: net: sent %u, received %u, bad %u\n", tx, rx, net_bad);
    net_set_rx(NULL);
    free(f);
}

void drivers_selftest(void) {
    struct blkdev *d;
    char v[16];
    int i;
    printf("selftest: start\n");
    test_bootfs();
    for (i = 0; i < blk_count(); i++) {
        struct blkdev *b = blk_get(i);
        if (blk_read_only(b)) check(blk_write(b, 0, (void *)0x10000, 1) == -E_IO, "a write to a read-only disk fails");
    }
    d = datadisk_get(0);
    if (d != NULL && !blk_read_only(d)) test_disk(d);
    if (net_present()) test_net();
    if (d != NULL && !blk_read_only(d) && cmdline_get("selftest", v, sizeof v) != NULL && strcmp(v, "needsreset") == 0) {
        uint8_t *buf = (uint8_t *)page_alloc();
        /* Whether the configuration interrupt is taken before the read is submitted or while it
         * waits, the read must fail rather than hang. */
        blk_break(d);
        check(blk_read(d, 0, buf, 1) == -E_IO, "a device that needs a reset fails requests");
        check(blk_write(d, 0, buf, 1) == -E_IO, "and writes too");
    }
    printf("selftest: dma mode %d maps %u unmaps %u invalidations %u flushes %u\n", dma_mode, dma_stats.maps,
           dma_stats.unmaps, dma_stats.invalidations, dma_stats.deferred_flushes);
    printf("selftest: done, %d errors\n", errors);
    power_off(errors != 0);
}
#endif
