/* cpubench: tests/cc/corpus/bench_sieve.c with main renamed bench_sieve (tests/os/user-cpubench checks they agree). */
/* Benchmark: the sieve of Eratosthenes up to 2,000,000, then prime gaps. */
#include <stdio.h>

#define LIMIT 2000000

static char composite[LIMIT + 1];

int bench_sieve(void) {
    int i, j, count = 0, last = 2, gap = 0, gap_at = 0;
    for (i = 2; i * i <= LIMIT; i++)
        if (!composite[i])
            for (j = i * i; j <= LIMIT; j += i) composite[j] = 1;
    for (i = 2; i <= LIMIT; i++) {
        if (composite[i]) continue;
        count++;
        if (i - last > gap) {
            gap = i - last;
            gap_at = last;
        }
        last = i;
    }
    printf("%d primes below %d, largest %d, widest gap %d after %d\n", count, LIMIT, last, gap, gap_at);
    return 0;
}
