/* long long in every role the optimizer lowers to pairs of words: carries and borrows across
   the word boundary, signed and unsigned comparisons that the high word alone decides or
   not, shifts by every constant and variable count, conversions both ways, ++/--/op= on
   registers, struct members, array elements and globals, arguments and results, loops
   counted in 64 bits. */
#include <stdio.h>

struct counters { unsigned int tag; unsigned long long hits; long long delta; char pad; };

static unsigned long long g_total;
static long long g_vals[6] = { 0, -1, 1, 0x7fffffffffffffffLL, -0x7fffffffffffffffLL - 1, 0x100000000LL };

static long long mix(long long a, int k, unsigned long long b) {
    return (a ^ (long long)(b >> (k & 63))) + k;
}

static unsigned long long sum_to(unsigned long long n) {
    unsigned long long s = 0, i;
    for (i = 0; i < n; i++) s += i;
    return s;
}

static int cmp_all(long long a, long long b) {
    unsigned long long ua = (unsigned long long)a, ub = (unsigned long long)b;
    return (a < b) | (a <= b) << 1 | (a > b) << 2 | (a >= b) << 3 | (a == b) << 4 | (a != b) << 5
        | (ua < ub) << 6 | (ua <= ub) << 7 | (ua > ub) << 8 | (ua >= ub) << 9;
}

static void bump(struct counters *c, long long by) {
    c->hits++;
    c->delta += by;
    g_total += (unsigned long long)by;
}

int main(void) {
    struct counters c = { 7, 0xffffffffULL, -1, 'x' };
    unsigned long long x = 0x0123456789abcdefULL;
    long long y = -3;
    int i, j, n;
    for (i = 0; i < 6; i++)
        for (j = 0; j < 6; j++) {
            long long a = g_vals[i], b = g_vals[j];
            printf("%d %d: + %llx - %llx cmp %x\n", i, j, (unsigned long long)(a + b), (unsigned long long)(a - b), cmp_all(a, b));
        }
    for (n = 0; n < 64; n++) {
        unsigned long long l = x << n, r = x >> n;
        long long s = y >> n, t = (long long)0x8000000000000001ULL >> n;
        if ((l ^ r ^ (unsigned long long)s ^ (unsigned long long)t) == 0) printf("zero at %d\n", n);
        printf("%d %llx %llx %llx %llx\n", n, l, r, (unsigned long long)s, (unsigned long long)t);
    }
    printf("const shifts %llx %llx %llx %llx %llx %llx\n", x << 1, x << 31, x << 32, x << 33, x >> 32, x >> 63);
    printf("signed shifts %lld %lld %lld %lld\n", y >> 1, y >> 32, y >> 63, (long long)(x << 4) >> 36);
    for (i = 0; i < 3; i++) bump(&c, (long long)i * -0x40000000LL);
    printf("counters %u %llu %lld %c %llu\n", c.tag, c.hits, c.delta, c.pad, g_total);
    printf("mix %lld %lld\n", mix(-5, 3, 0xffff0000ffff0000ULL), mix(0x7fffffffffffffffLL, 63, 1));
    printf("sum %llu %llu\n", sum_to(100000), sum_to(0));
    {
        long long v = 0xfffffffeLL, w;
        int k = 0;
        unsigned char uc;
        short sh;
        _Bool bo = 0x100000000LL;
        v++; v++; v++;
        w = v--;
        k += v;
        k -= 0x100000001LL;
        uc = (unsigned char)(v + 0x1ff);
        sh = (short)(-v);
        printf("incdec %llx %llx %d %u %d %d\n", (unsigned long long)v, (unsigned long long)w, k, uc, sh, bo);
        v *= -7; w /= 3; v %= 1000003;
        printf("muldiv %lld %lld %lld\n", v, w, (v * w) / -13);
        v = (v > w) ? v : -w;
        printf("cond %lld %d %d\n", v, !v, v && w);
        v <<= 3; v >>= k & 7; v |= 1; v &= ~0xfLL; v ^= 0x55;
        printf("bits %lld\n", v);
    }
    {
        unsigned long long f = 1;
        long long sf = 1;
        for (i = 1; i <= 25; i++) { f *= (unsigned long long)i; sf = sf * -i + i; }
        printf("fact %llu %lld %llu %llu\n", f, sf, f / 1000000007ULL, f % 1000000007ULL);
    }
    return (int)(g_total >> 32) & 0x7f;
}
