/* cpubench: tests/cc/corpus/bench_crc32.c with main renamed bench_crc32 (tests/os/user-cpubench checks they agree). */
/* Benchmark: CRC-32 (IEEE, table driven) of 256 KiB of generated data. */
#include <stdio.h>
#include <stdint.h>

#define SIZE (256 * 1024)

static uint32_t table[256];
static unsigned char data[SIZE];

static void make_table(void) {
    uint32_t i, j;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        for (j = 0; j < 8; j++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *p, int n) {
    uint32_t c = 0xffffffffu;
    while (n-- > 0) c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

int bench_crc32(void) {
    int i;
    uint32_t x = 2463534242u;
    make_table();
    for (i = 0; i < SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    printf("crc32(\"123456789\") = %08x\n", crc32((const unsigned char *)"123456789", 9));
    printf("crc32(data) = %08x\n", crc32(data, SIZE));
    return 0;
}
