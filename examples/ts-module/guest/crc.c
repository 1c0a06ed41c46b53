/* CRC-32 of 64 KiB of pseudo-random bytes, computed in the guest or (built with -DUSE_MODULE)
 * by the crc32 module at the hypervisor level, through one vmcall. */
#include <stdio.h>
#include <vamos_module.h>

#define N 65536

static unsigned char data[N];

#ifndef USE_MODULE
static unsigned table[256];

static unsigned crc32(const unsigned char *p, unsigned n) {
    unsigned c = 0xffffffffu, i;
    for (i = 0; i < 256; i++) {
        unsigned v = i;
        int k;
        for (k = 0; k < 8; k++) v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
        table[i] = v;
    }
    for (i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}
#endif

int main(void) {
    unsigned x = 12345, i, crc;
    for (i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
#ifdef USE_MODULE
    int h = vmod_open("crc32");
    if (h < 0) {
        printf("crc32 module: %s\n", vmod_strerror(h));
        return 1;
    }
    int n = vmod_call(h, 1, data, N, &crc, sizeof crc);
    if (n != 4) {
        printf("crc32 module call: %s\n", vmod_strerror(n));
        return 1;
    }
    printf("crc32 of %u bytes, by the module: %08x\n", N, crc);
#else
    crc = crc32(data, N);
    printf("crc32 of %u bytes, in the guest: %08x\n", N, crc);
#endif
    return 0;
}
