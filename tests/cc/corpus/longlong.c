/* long long: arithmetic, comparisons, shifts, conversions and printing. */
#include <stdio.h>

static unsigned long long fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }

int main(void) {
    long long a = 1234567890123LL;
    long long b = -987654321LL;
    unsigned long long u = 0xfedcba9876543210ULL;
    int i;
    printf("a + b = %lld\n", a + b);
    printf("a - b = %lld\n", a - b);
    printf("a * 3 = %lld\n", a * 3);
    printf("a / b = %lld, a %% b = %lld\n", a / b, a % b);
    printf("-a / 7 = %lld, -a %% 7 = %lld\n", -a / 7, -a % 7);
    printf("u / 1000 = %llu, u %% 1000 = %llu\n", u / 1000, u % 1000);
    printf("u >> 4 = %llx, u << 4 = %llx\n", u >> 4, u << 4);
    printf("b >> 3 = %lld\n", b >> 3);
    for (i = 0; i < 64; i += 9) printf("1 << %d = %llu\n", i, 1ULL << i);
    printf("compare %d %d %d %d\n", a > b, b < 0, u > (unsigned long long)a, (long long)u < 0);
    printf("(int)a = %d, (unsigned)u = %u\n", (int)a, (unsigned)u);
    printf("widen %lld %llu\n", (long long)-5, (unsigned long long)(unsigned)-5);
    printf("20! = %llu\n", fact(20));
    {
        unsigned long long x = 88172645463325252ULL;
        for (i = 0; i < 5; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            printf("xorshift %llu\n", x);
        }
    }
    {
        long long m = -1;
        unsigned long long big = 1ULL << 63;
        printf("%lld %llu %llx %lld\n", m, (unsigned long long)m, big, (long long)(big - 1));
    }
    return 0;
}
