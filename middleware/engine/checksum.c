/* The checksum of log batches and the superblock: Fletcher-style, two running sums of 32-bit
 * little-endian words modulo 2^32, folded into one word. Its job is to tell a batch written
 * whole from a torn one (some sectors new, some old or never written), not to resist an
 * adversary; a sum over words costs a few instructions per 4 bytes, several times less than a
 * table-driven CRC-32, which matters because every commit checksums whole pages. */
#include "internal.h"

void csum_init(struct csum *c) {
    c->a = 1;
    c->b = 0;
}

/* len is a multiple of 4 and buf 4-byte aligned (page frames, the header sector). */
void csum_update(struct csum *c, const void *buf, unsigned len) {
    const unsigned *w = (const unsigned *)buf;
    unsigned a = c->a, b = c->b, n = len / 4;
    /* Both builds are little-endian: the words are in the on-disk order. Unrolled by four
     * because vamos cc keeps variables in memory: the loop overhead would double the cost. */
    for (; n >= 4; n -= 4, w += 4) {
        a += w[0]; b += a;
        a += w[1]; b += a;
        a += w[2]; b += a;
        a += w[3]; b += a;
    }
    while (n--) {
        a += *w++;
        b += a;
    }
    c->a = a;
    c->b = b;
}

unsigned csum_final(const struct csum *c) { return c->a ^ (c->b << 7 | c->b >> 25) ^ 0x5A5A5A5Au; }
