/* The native OSAL (gcc builds, tests): the volume is a POSIX file.
 *
 * To make crashes testable, the file is treated like a disk with a volatile write cache: the
 * whole volume is held in memory, writes go to memory, and only osal_vol_flush writes the
 * changed sectors to the file and fdatasync()s it. A process killed with SIGKILL therefore
 * loses everything since the last flush, the worst a real disk may do. osal_native_crash_after
 * also simulates a power cut in the middle of a write: a pseudo-random subset of the unflushed
 * sectors (each independently) reaches the file first, which tears multi-sector writes. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "osal.h"

static int fd = -1;
static unsigned nsect;
static unsigned char *img;      /* the volume as the process sees it */
static unsigned char *dirty;    /* per sector: written since the last flush */
static unsigned *dlist, ndirty;
static unsigned crash_left, rng, writes;

int osal_native_open(const char *path, unsigned sectors) {
    struct stat st;
    size_t size;
    fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || fstat(fd, &st) < 0) return OSAL_EIO;
    size = (size_t)st.st_size / OSAL_SECTOR;
    nsect = size > sectors ? (unsigned)size : sectors;
    if ((size_t)st.st_size < (size_t)nsect * OSAL_SECTOR && ftruncate(fd, (off_t)nsect * OSAL_SECTOR) < 0) return OSAL_EIO;
    img = malloc((size_t)nsect * OSAL_SECTOR);
    dirty = calloc(nsect, 1);
    dlist = malloc(nsect * sizeof(unsigned));
    if (!img || !dirty || !dlist) return OSAL_ENOMEM;
    if (pread(fd, img, (size_t)nsect * OSAL_SECTOR, 0) != (ssize_t)((size_t)nsect * OSAL_SECTOR)) return OSAL_EIO;
    ndirty = 0;
    return 0;
}

void osal_native_close(void) {
    if (fd >= 0) close(fd);
    free(img); free(dirty); free(dlist);
    fd = -1; img = 0; dirty = 0; dlist = 0;
}

void osal_native_crash_after(unsigned n, unsigned seed) {
    crash_left = n;
    rng = seed * 2654435761u + 1;
}

static unsigned next_rand(void) {
    rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
    return rng;
}

static void power_cut(void) {
    unsigned i;
    for (i = 0; i < ndirty; i++)
        if (next_rand() & 1)
            (void)!pwrite(fd, img + (size_t)dlist[i] * OSAL_SECTOR, OSAL_SECTOR, (off_t)dlist[i] * OSAL_SECTOR);
    fdatasync(fd);
    fflush(stdout);
    _exit(99);
}

unsigned osal_native_sector_writes(void) { return writes; }

unsigned osal_vol_sectors(void) { return nsect; }

int osal_vol_read(unsigned sector, void *buf, unsigned count) {
    if (sector > nsect || count > nsect - sector) return OSAL_EIO;
    memcpy(buf, img + (size_t)sector * OSAL_SECTOR, (size_t)count * OSAL_SECTOR);
    return (int)count;
}

int osal_vol_write(unsigned sector, const void *buf, unsigned count) {
    unsigned i;
    if (sector > nsect || count > nsect - sector) return OSAL_EIO;
    for (i = 0; i < count; i++) {
        unsigned s = sector + i;
        writes++;
        if (crash_left && --crash_left == 0) power_cut();
        memcpy(img + (size_t)s * OSAL_SECTOR, (const unsigned char *)buf + (size_t)i * OSAL_SECTOR, OSAL_SECTOR);
        if (!dirty[s]) { dirty[s] = 1; dlist[ndirty++] = s; }
    }
    return (int)count;
}

int osal_vol_flush(void) {
    unsigned i;
    for (i = 0; i < ndirty; i++) {
        unsigned s = dlist[i];
        if (pwrite(fd, img + (size_t)s * OSAL_SECTOR, OSAL_SECTOR, (off_t)s * OSAL_SECTOR) != OSAL_SECTOR) return OSAL_EIO;
        dirty[s] = 0;
    }
    ndirty = 0;
    return fdatasync(fd) < 0 ? OSAL_EIO : 0;
}

void *osal_alloc(size_t bytes) { return malloc(bytes); }
void osal_free(void *p) { free(p); }

unsigned long long osal_time_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

void osal_log(const char *msg) { fprintf(stderr, "%s\n", msg); }
