/*
 * The printf family: one formatter writing through a sink, so printf, snprintf and fprintf
 * share every conversion. Supports flags - + space 0 #, width and precision (also *), length
 * modifiers hh h l ll z j t, and d i u o x X c s p %.
 */
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

typedef struct {
    char *buf;    /* NULL: each byte goes to the output hook */
    size_t size;  /* capacity of buf, terminator included */
    size_t count; /* bytes produced so far, whether they fit or not */
} Sink;

static void put(Sink *s, int c) {
    if (s->buf == NULL) __libc_putchar_hook(c);
    else if (s->count + 1 < s->size) s->buf[s->count] = (char)c;
    s->count++;
}

static void pad(Sink *s, int c, int n) {
    while (n-- > 0) put(s, c);
}

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ZERO = 8, F_ALT = 16 };

/* Digits of v in the given base, least significant first; returns how many. */
static int digits(char *out, unsigned long long v, unsigned base, int upper) {
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    /* 32-bit division is much cheaper on a 32-bit machine; most values fit. */
    unsigned int small;
    while (v > 0xffffffffu) {
        out[n++] = set[v % base];
        v /= base;
    }
    small = (unsigned int)v;
    while (small) {
        out[n++] = set[small % base];
        small /= base;
    }
    return n;
}

static void integer(Sink *s, unsigned long long v, int neg, unsigned base, int upper, int flags, int width, int prec) {
    char tmp[24];
    char prefix[3];
    int plen = 0;
    int n = digits(tmp, v, base, upper);
    int zeros = 0;
    int total;
    if (neg) prefix[plen++] = '-';
    else if (flags & F_PLUS) prefix[plen++] = '+';
    else if (flags & F_SPACE) prefix[plen++] = ' ';
    if ((flags & F_ALT) && base == 16 && v != 0) {
        prefix[plen++] = '0';
        prefix[plen++] = upper ? 'X' : 'x';
    }
    if (prec >= 0) {
        if (prec > n) zeros = prec - n;
    } else if (n == 0) {
        zeros = 1;
    }
    if ((flags & F_ALT) && base == 8 && zeros == 0 && (n == 0 || tmp[n - 1] != '0')) zeros = 1;
    total = plen + zeros + n;
    if (!(flags & F_LEFT) && (flags & F_ZERO) && prec < 0 && width > total) {
        zeros += width - total;
        total = width;
    }
    if (!(flags & F_LEFT)) pad(s, ' ', width - total);
    {
        int i;
        for (i = 0; i < plen; i++) put(s, prefix[i]);
    }
    pad(s, '0', zeros);
    while (n > 0) put(s, tmp[--n]);
    if (flags & F_LEFT) pad(s, ' ', width - total);
}

static void text(Sink *s, const char *str, int len, int flags, int width) {
    int i;
    if (!(flags & F_LEFT)) pad(s, ' ', width - len);
    for (i = 0; i < len; i++) put(s, str[i]);
    if (flags & F_LEFT) pad(s, ' ', width - len);
}

static int format(Sink *s, const char *fmt, va_list ap) {
    for (; *fmt; fmt++) {
        int flags = 0;
        int width = 0;
        int prec = -1;
        int len = 0; /* -2 hh, -1 h, 0 int, 1 l, 2 ll, 3 size_t/ptrdiff_t */
        int c;
        unsigned long long u;
        long long v;
        if (*fmt != '%') {
            put(s, *fmt);
            continue;
        }
        for (;;) {
            c = *++fmt;
            if (c == '-') flags |= F_LEFT;
            else if (c == '+') flags |= F_PLUS;
            else if (c == ' ') flags |= F_SPACE;
            else if (c == '0') flags |= F_ZERO;
            else if (c == '#') flags |= F_ALT;
            else break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
            }
        }
        if (*fmt == 'h') {
            len = -1;
            if (*++fmt == 'h') {
                len = -2;
                fmt++;
            }
        } else if (*fmt == 'l') {
            len = 1;
            if (*++fmt == 'l') {
                len = 2;
                fmt++;
            }
        } else if (*fmt == 'z' || *fmt == 't') {
            len = 3;
            fmt++;
        } else if (*fmt == 'j' || *fmt == 'L') {
            len = 2;
            fmt++;
        }
        c = *fmt;
        switch (c) {
        case 'd':
        case 'i':
            if (len == 2) v = va_arg(ap, long long);
            else if (len == 1) v = va_arg(ap, long);
            else if (len == 3) v = (long long)va_arg(ap, ptrdiff_t);
            else v = va_arg(ap, int);
            if (len == -1) v = (short)v;
            else if (len == -2) v = (signed char)v;
            u = v < 0 ? 0u - (unsigned long long)v : (unsigned long long)v;
            integer(s, u, v < 0, 10, 0, flags, width, prec);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (len == 2) u = va_arg(ap, unsigned long long);
            else if (len == 1) u = va_arg(ap, unsigned long);
            else if (len == 3) u = va_arg(ap, size_t);
            else u = va_arg(ap, unsigned int);
            if (len == -1) u = (unsigned short)u;
            else if (len == -2) u = (unsigned char)u;
            integer(s, u, 0, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        case 'p': {
            void *p = va_arg(ap, void *);
            if (p == NULL) text(s, "(nil)", 5, flags, width);
            else integer(s, (unsigned long long)(size_t)p, 0, 16, 0, (flags & ~(F_PLUS | F_SPACE)) | F_ALT, width, prec);
            break;
        }
        case 'c': {
            char ch = (char)va_arg(ap, int);
            text(s, &ch, 1, flags, width);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL) str = "(null)";
            text(s, str, (int)(prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str)), flags, width);
            break;
        }
        case '%':
            put(s, '%');
            break;
        case 0:
            return (int)s->count;
        default:
            /* An unknown conversion is printed as written. */
            put(s, '%');
            put(s, c);
            break;
        }
    }
    return (int)s->count;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    Sink s;
    int n;
    static char dummy[1];
    s.buf = size ? buf : dummy;
    s.size = size;
    s.count = 0;
    n = format(&s, fmt, ap);
    if (size) buf[s.count < size ? s.count : size - 1] = 0;
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vsprintf(char *buf, const char *fmt, va_list ap) {
    return vsnprintf(buf, 0x7fffffff, fmt, ap);
}

int sprintf(char *buf, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap) {
    Sink s;
    s.buf = NULL;
    s.size = 0;
    s.count = 0;
    return format(&s, fmt, ap);
}

int printf(const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap) {
    (void)f;
    return vprintf(fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}
