/* disktest: writes, reads back and verifies patterns on data disk 0 (docs/guest-user.md).
 *   disktest            the test: exits 0 after a summary line, 1 at the first mismatch or error
 *   disktest base B     the same on sectors B..B+639 only (so that several can run at once)
 *   disktest read4k N   N 4 KiB reads, sequential and wrapping (the benchmark's workload)
 * Every 32-bit word of the pattern depends on the pass, the sector and the word's place, so a
 * sector written to or read from the wrong place, or a stale one, is caught. */
#include <vamos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR     512u
#define MAX_COUNT  256u          /* sectors per call: 128 KiB, more than one request's worth */
#define MIN_DISK   640u          /* sectors the test needs */

static unsigned disk_sectors;
static unsigned base;            /* every sector below is relative to it */
static unsigned char *wbuf, *rbuf;
static unsigned checks, written, read_back;

static unsigned pattern(unsigned pass, unsigned sector, unsigned word) {
    unsigned x = pass * 0x9E3779B9u ^ sector * 0x85EBCA6Bu ^ word * 0xC2B2AE35u;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    return x;
}

static void fill(unsigned char *buf, unsigned pass, unsigned sector, unsigned count) {
    unsigned s, w;
    for (s = 0; s < count; s++)
        for (w = 0; w < SECTOR / 4; w++) {
            unsigned v = pattern(pass, sector + s, w);
            memcpy(buf + s * SECTOR + w * 4, &v, 4);
        }
}

static void fail(const char *what, unsigned sector, unsigned count, int r) {
    printf("disktest: FAILED: %s of %u sectors at %u: %s\n", what, count, sector, vamos_strerror(r));
    exit(1);
}

static void put(unsigned pass, unsigned sector, unsigned count) {
    int r;
    fill(wbuf, pass, sector, count);
    sector += base;
    r = blk_write(0, sector, wbuf, count);
    if (r != (int)count) fail("write", sector, count, r < 0 ? r : -E_IO);
    written += count;
}

/* Reads [sector, sector+count) and compares it with what pass `pass` wrote there. */
static void check(unsigned pass, unsigned sector, unsigned count) {
    unsigned i;
    int r;
    memset(rbuf, 0xA5, count * SECTOR);
    r = blk_read(0, base + sector, rbuf, count);
    if (r != (int)count) fail("read", base + sector, count, r < 0 ? r : -E_IO);
    read_back += count;
    fill(wbuf, pass, sector, count);
    checks++;
    for (i = 0; i < count * SECTOR; i++) {
        if (rbuf[i] != wbuf[i]) {
            printf("disktest: MISMATCH at sector %u byte %u (read of %u sectors at %u, pass %u): expected 0x%02x, got 0x%02x\n",
                   base + sector + i / SECTOR, i % SECTOR, count, base + sector, pass, wbuf[i], rbuf[i]);
            exit(1);
        }
    }
}

/* (sector, count) pairs: single sectors, odd sizes, page-sized and multi-request transfers,
 * the first and the last sectors of the disk (the last ones are placed at run time). */
static const unsigned layout[][2] = {
    {0, 1}, {1, 1}, {2, 3}, {5, 7}, {12, 8}, {20, 16}, {36, 33}, {69, 64},
    {133, 128}, {261, 256}, {517, 100},
};
#define LAYOUT (sizeof layout / sizeof layout[0])

static int read4k(unsigned n) {
    unsigned i, sector = 0;
    unsigned long long t0 = time_ns(), t1;
    for (i = 0; i < n; i++) {
        int r;
        if (sector + 8 > disk_sectors) sector = 0;
        r = blk_read(0, sector, rbuf, 8);
        if (r != 8) fail("read", sector, 8, r < 0 ? r : -E_IO);
        sector += 8;
    }
    t1 = time_ns();
    printf("disktest: read4k %u reads in %llu us\n", n, (t1 - t0) / 1000u);
    return 0;
}

int main(int argc, char **argv) {
    unsigned i, pass;
    unsigned last;
    int r;
    unsigned long long t0 = time_ns();
    wbuf = malloc(MAX_COUNT * SECTOR);
    rbuf = malloc(MAX_COUNT * SECTOR);
    if (wbuf == NULL || rbuf == NULL) {
        printf("disktest: out of memory\n");
        return 1;
    }
    r = blk_info(0, &disk_sectors);
    if (r < 0) {
        printf("disktest: no data disk: %s\n", vamos_strerror(r));
        return 1;
    }
    if (argc >= 2 && strcmp(argv[1], "read4k") == 0) {
        unsigned n = argc >= 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 100;
        if (disk_sectors < 8) {
            printf("disktest: data disk too small\n");
            return 1;
        }
        return read4k(n);
    }
    if (argc >= 3 && strcmp(argv[1], "base") == 0) {
        base = (unsigned)strtoul(argv[2], NULL, 10);
    } else if (argc >= 2) {
        printf("disktest: unknown argument '%s' (usage: disktest [base B | read4k N])\n", argv[1]);
        return 2;
    }
    if (disk_sectors < MIN_DISK || base > disk_sectors - MIN_DISK) {
        printf("disktest: data disk 0 has %u sectors, the test needs %u from sector %u\n", disk_sectors, MIN_DISK, base);
        return 1;
    }
    /* The last sectors of the region: of the disk when the region is all of it. */
    last = (argc >= 3 ? MIN_DISK : disk_sectors - base) - 1;

    /* 1. Each region written then read back at once, two passes (the second overwrites). */
    for (pass = 1; pass <= 2; pass++)
        for (i = 0; i < LAYOUT; i++) {
            put(pass, layout[i][0], layout[i][1]);
            check(pass, layout[i][0], layout[i][1]);
        }
    put(1, last, 1);
    check(1, last, 1);
    put(2, last - 9, 10);
    check(2, last - 9, 10);

    /* 2. Interleaved: write every region, then read them back in the opposite order and with
     * other boundaries (a read spanning several writes, one inside a write). */
    for (i = 0; i < LAYOUT; i++) put(3, layout[i][0], layout[i][1]);
    for (i = LAYOUT; i-- > 0;) check(3, layout[i][0], layout[i][1]);
    check(3, 0, 256);
    check(3, 300, 17);
    check(3, 3, 250);

    /* 3. Overlap: the later write wins where they meet, the earlier one stands elsewhere. */
    put(4, 100, 64);
    put(5, 140, 64);
    check(4, 100, 40);
    check(5, 140, 64);

    /* 4. Flush, then everything is still there. */
    r = blk_flush(0);
    if (r < 0) fail("flush", 0, 0, r);
    check(4, 100, 40);
    check(5, 140, 64);
    check(3, 261, 256);

    /* 5. Out of range is refused. */
    r = blk_read(0, disk_sectors, rbuf, 1);
    if (r >= 0) {
        printf("disktest: FAILED: reading sector %u past the end returned %d\n", disk_sectors, r);
        return 1;
    }
    r = blk_write(0, disk_sectors - 1, wbuf, 2);
    if (r >= 0) {
        printf("disktest: FAILED: writing across the end returned %d\n", r);
        return 1;
    }
    printf("disktest: ok: %u checks, %u sectors written, %u read back, disk of %u sectors", checks, written,
           read_back, disk_sectors);
    if (argc >= 3) printf(" (used %u..%u)", base, base + MIN_DISK - 1);
    printf(", %llu us\n", (time_ns() - t0) / 1000u);
    return 0;
}
