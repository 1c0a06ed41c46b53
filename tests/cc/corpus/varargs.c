/* Variadic functions: va_arg of several types, va_copy, forwarding to vsnprintf. */
#include <stdio.h>
#include <stdarg.h>

static int sum(int count, ...) {
    va_list ap;
    int s = 0;
    va_start(ap, count);
    while (count-- > 0) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

static long long mixed(const char *kinds, ...) {
    va_list ap;
    long long total = 0;
    va_start(ap, kinds);
    for (; *kinds; kinds++) {
        switch (*kinds) {
        case 'i': total += va_arg(ap, int); break;
        case 'u': total += va_arg(ap, unsigned); break;
        case 'L': total += va_arg(ap, long long); break;
        case 's': total += *va_arg(ap, const char *); break;
        }
    }
    va_end(ap);
    return total;
}

static int twice(int n, ...) {
    va_list ap, again;
    int a = 0, b = 0, i;
    va_start(ap, n);
    va_copy(again, ap);
    for (i = 0; i < n; i++) a += va_arg(ap, int);
    for (i = 0; i < n; i++) b += va_arg(again, int) * 2;
    va_end(again);
    va_end(ap);
    return b - a;
}

static void logf_(char *buf, int size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)size, fmt, ap);
    va_end(ap);
}

int main(void) {
    char buf[64];
    printf("sum() = %d\n", sum(0));
    printf("sum(1..5) = %d\n", sum(5, 1, 2, 3, 4, 5));
    printf("mixed = %lld\n", mixed("iuLsi", -3, 4000000000u, 1LL << 40, "A", 7));
    printf("twice = %d\n", twice(4, 10, 20, 30, 40));
    logf_(buf, sizeof buf, "[%s|%5d|%-4x|%c]", "log", 42, 255, 'z');
    printf("%s\n", buf);
    logf_(buf, 8, "%s", "truncated text");
    printf("%s\n", buf);
    return 0;
}
