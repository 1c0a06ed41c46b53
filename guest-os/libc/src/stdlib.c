/* stdlib.h apart from the allocator and qsort: conversions, abs, rand, exit. */
#include <stdlib.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>

int errno;

/* Provided by the environment: ends the program with this status. */
void __libc_exit_hook(int status);

void exit(int status) {
    __libc_exit_hook(status);
    for (;;) {
    }
}

/* 128 + SIGABRT, what a shell reports for a native program that aborts. */
void abort(void) {
    exit(134);
}

int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }

static unsigned long rand_state = 1;

int rand(void) {
    rand_state = rand_state * 1103515245u + 12345u;
    return (int)((rand_state / 65536u) % 32768u);
}

void srand(unsigned int seed) { rand_state = seed; }

static int digit_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/*
 * The common part of the strto* family: the magnitude, saturated at `limit` (ERANGE), with the
 * sign and end pointer. Everything is done in unsigned long long so one routine serves all four.
 */
static unsigned long long parse(const char *s, char **end, int base, unsigned long long limit, int *neg) {
    const char *p = s;
    unsigned long long v = 0;
    int any = 0;
    int over = 0;
    *neg = 0;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '+' || *p == '-') {
        *neg = *p == '-';
        p++;
    }
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        errno = EINVAL;
        if (end) *end = (char *)s;
        return 0;
    }
    for (;; p++) {
        int d = digit_value((unsigned char)*p);
        if (d >= base) break;
        any = 1;
        if (v > (limit - (unsigned long long)d) / (unsigned long long)base) over = 1;
        else v = v * (unsigned long long)base + (unsigned long long)d;
    }
    if (end) *end = (char *)(any ? p : s);
    if (over) {
        errno = ERANGE;
        return limit;
    }
    return v;
}

long strtol(const char *s, char **end, int base) {
    int neg;
    unsigned long long m = parse(s, end, base, (unsigned long long)LONG_MAX + 1u, &neg);
    if (!neg && m > (unsigned long long)LONG_MAX) {
        errno = ERANGE;
        return LONG_MAX;
    }
    return neg ? (long)(0u - (unsigned long)m) : (long)m;
}

unsigned long strtoul(const char *s, char **end, int base) {
    int neg;
    unsigned long long m = parse(s, end, base, ULONG_MAX, &neg);
    return neg ? 0u - (unsigned long)m : (unsigned long)m;
}

long long strtoll(const char *s, char **end, int base) {
    int neg;
    unsigned long long m = parse(s, end, base, (unsigned long long)LLONG_MAX + 1u, &neg);
    if (!neg && m > (unsigned long long)LLONG_MAX) {
        errno = ERANGE;
        return LLONG_MAX;
    }
    return neg ? (long long)(0u - m) : (long long)m;
}

unsigned long long strtoull(const char *s, char **end, int base) {
    int neg;
    unsigned long long m = parse(s, end, base, ULLONG_MAX, &neg);
    return neg ? 0u - m : m;
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }

void *bsearch(const void *key, const void *base, size_t count, size_t size, int (*compar)(const void *, const void *)) {
    const char *lo = base;
    while (count > 0) {
        const char *mid = lo + (count / 2) * size;
        int c = compar(key, mid);
        if (c == 0) return (void *)mid;
        if (c > 0) {
            lo = mid + size;
            count -= count / 2 + 1;
        } else {
            count /= 2;
        }
    }
    return NULL;
}
