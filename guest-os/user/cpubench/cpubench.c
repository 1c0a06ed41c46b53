/* cpubench: the CPU-bound programs of the compiler benchmark (tests/cc/corpus/bench_*.c) as a
 * user program. Runs each one named in argv (default: all, in the order below), printing its
 * result line and then `cpubench: <name> <N> us` of virtual time. Exits 0 when all returned 0. */
#include <vamos.h>
#include <stdio.h>
#include <string.h>

int bench_sort(void);
int bench_crc32(void);
int bench_sieve(void);
int bench_matmul(void);
int bench_strings(void);

static const struct {
    const char *name;
    int (*run)(void);
} benches[] = {
    {"sort", bench_sort}, {"crc32", bench_crc32}, {"sieve", bench_sieve},
    {"matmul", bench_matmul}, {"strings", bench_strings},
};
#define BENCHES (sizeof benches / sizeof benches[0])

static int run(unsigned i) {
    unsigned long long t0 = time_ns();
    int r = benches[i].run();
    unsigned long long t1 = time_ns();
    printf("cpubench: %s %llu us\n", benches[i].name, (t1 - t0) / 1000u);
    return r;
}

int main(int argc, char **argv) {
    int failed = 0;
    unsigned i;
    int a;
    if (argc < 2) {
        for (i = 0; i < BENCHES; i++) failed |= run(i) != 0;
        return failed;
    }
    for (a = 1; a < argc; a++) {
        for (i = 0; i < BENCHES && strcmp(benches[i].name, argv[a]) != 0; i++) {
        }
        if (i == BENCHES) {
            printf("cpubench: no benchmark '%s' (sort crc32 sieve matmul strings)\n", argv[a]);
            return 2;
        }
        failed |= run(i) != 0;
    }
    return failed;
}
