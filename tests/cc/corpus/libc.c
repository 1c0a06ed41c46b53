/* The libc: printf's conversions, snprintf truncation, strtol and friends, qsort, bsearch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

struct pair { char key[8]; int n; };

static int by_key(const void *a, const void *b) {
    return strcmp(((const struct pair *)a)->key, ((const struct pair *)b)->key);
}

int main(void) {
    char buf[32];
    volatile size_t limit = 10;
    char *end;
    int v[40], i, n;
    unsigned seed = 12345;
    struct pair pairs[5] = { { "pear", 1 }, { "fig", 2 }, { "apple", 3 }, { "kiwi", 4 }, { "date", 5 } };
    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, -42, 42, 42);
    printf("[%x] [%X] [%#x] [%o] [%#o] [%u]\n", 48879, 48879, 255, 8, 8, 4000000000u);
    printf("[%c] [%s] [%10s] [%-10s] [%.3s] [%%]\n", 'A', "str", "right", "left", "truncate");
    printf("[%*d] [%-*d] [%.*s] [%.5d] [%8.3d]\n", 6, 7, 6, 7, 2, "abc", 12, -12);
    printf("[%hhd] [%hd] [%lld] [%llu]\n", 257, 65537, -9000000000LL, 18000000000ULL);
    n = snprintf(buf, limit, "%s-%d", "overflowing", 12345);
    printf("snprintf %d [%s]\n", n, buf);
    n = snprintf(buf, sizeof buf, "%6.1d|%3c|", 7, 'x');
    printf("snprintf %d [%s]\n", n, buf);
    printf("strtol %d %d %d %d\n", (int)strtol("  -123xyz", &end, 10), (int)strtol("0x1F", NULL, 16), (int)strtol("0777", NULL, 0), (int)strtol("z", NULL, 36));
    printf("end [%s]\n", end);
    printf("strtoul %u atoi %d %d\n", (unsigned)strtoul("4000000000", NULL, 10), atoi("  +77"), atoi("-0"));
    printf("strtoll %lld\n", strtoll("-1234567890123", NULL, 10));
    printf("abs %d %d\n", abs(-5), abs(5));
    for (i = 0; i < 40; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (int)((seed >> 16) % 1000) - 500;
    }
    qsort(v, 40, sizeof v[0], by_value);
    for (i = 0; i < 40; i++) printf("%d%c", v[i], i % 10 == 9 ? '\n' : ' ');
    qsort(pairs, 5, sizeof pairs[0], by_key);
    for (i = 0; i < 5; i++) printf("%s=%d ", pairs[i].key, pairs[i].n);
    printf("\n");
    {
        int key = v[17];
        int *hit = bsearch(&key, v, 40, sizeof v[0], by_value);
        printf("bsearch %d\n", hit ? *hit == key : -1);
    }
    puts("puts adds a newline");
    putchar('!');
    putchar('\n');
    return 0;
}
