/* RESP2 as a Redis 7 server reads and writes it. Requests are either arrays of bulk strings
 * ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or inline commands (a line split like redis-cli does:
 * quotes, escapes). The parser is restartable rather than stateful: the server keeps the
 * unparsed bytes and calls it again when more arrive, so a request may be split anywhere. The
 * error texts and limits are Redis's (networking.c), except where our buffer is smaller. */
#include <string.h>
#include "resp.h"

#define INLINE_MAX  SERVER_INBUF     /* Redis: PROTO_INLINE_MAX_SIZE, 64 KiB */

int resp_str2ll(const unsigned char *s, unsigned n, long long *out) {
    unsigned long long v;
    unsigned i = 0;
    int neg = 0;
    if (n == 0 || n >= 21) return 0;
    if (n == 1 && s[0] == '0') { *out = 0; return 1; }
    if (s[0] == '-') { neg = 1; i = 1; if (n == 1) return 0; }
    if (s[i] < '1' || s[i] > '9') return 0;
    if (n - i <= 9) {                       /* the common case, in 32 bits (cheap on mx86) */
        unsigned u = 0;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return 0;
            u = u * 10 + (unsigned)(s[i] - '0');
        }
        *out = neg ? -(long long)u : (long long)u;
        return 1;
    }
    v = (unsigned long long)(s[i++] - '0');
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        if (v > 0xFFFFFFFFFFFFFFFFull / 10) return 0;
        v *= 10;
        if (v > 0xFFFFFFFFFFFFFFFFull - (unsigned long long)(s[i] - '0')) return 0;
        v += (unsigned long long)(s[i] - '0');
    }
    if (neg) {
        if (v > 0x8000000000000000ull) return 0;
        *out = (long long)(0 - v);
    } else {
        if (v > 0x7FFFFFFFFFFFFFFFull) return 0;
        *out = (long long)v;
    }
    return 1;
}

static const unsigned char *find(const unsigned char *p, const unsigned char *end, unsigned char c) {
    return (const unsigned char *)memchr(p, c, (size_t)(end - p));
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* sds.c's sdssplitargs over line[0..n): the words into r, their bytes into out. 0 or -1. */
static int split_args(const unsigned char *p, const unsigned char *end, struct req *r, unsigned char *out) {
    r->argc = 0;
    for (;;) {
        int inq = 0, insq = 0, done = 0;
        unsigned char *word = out;
        while (p < end && is_space(*p)) p++;
        if (p >= end || *p == 0) return 0;
        if (r->argc >= SERVER_MAX_ARGS) return -1;
        while (!done) {
            if (inq) {
                if (p >= end) return -1;                    /* unterminated quotes */
                if (*p == '\\' && p + 3 < end && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                    *out++ = (unsigned char)(hexval(p[2]) * 16 + hexval(p[3]));
                    p += 3;
                } else if (*p == '\\' && p + 1 < end) {
                    unsigned char c = *++p;
                    *out++ = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
                } else if (*p == '"') {
                    if (p + 1 < end && !is_space(p[1])) return -1; /* closing quote must be followed by a space */
                    done = 1;
                } else *out++ = *p;
            } else if (insq) {
                if (p >= end) return -1;
                if (*p == '\\' && p + 1 < end && p[1] == '\'') { *out++ = '\''; p++; }
                else if (*p == '\'') {
                    if (p + 1 < end && !is_space(p[1])) return -1;
                    done = 1;
                } else *out++ = *p;
            } else if (p >= end || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == 0) {
                done = 1;
            } else if (*p == '"') inq = 1;
            else if (*p == '\'') insq = 1;
            else *out++ = *p;
            if (p < end) p++;
        }
        r->argv[r->argc] = word;
        r->len[r->argc++] = (unsigned)(out - word);
    }
}

static int perror_(const char **err, const char *msg) { *err = msg; return -1; }

int resp_parse(const unsigned char *p, unsigned n, struct req *r, unsigned char *scratch, const char **err, char *errbuf) {
    const unsigned char *end = p + n, *q, *nl;
    long long count, blen;
    unsigned i;
    r->argc = 0;
    if (n == 0) return 0;
    if (p[0] != '*') {                                      /* inline */
        nl = find(p, end, '\n');
        if (!nl) return n > INLINE_MAX ? perror_(err, "too big inline request") : 0;
        q = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
        if (split_args(p, q, r, scratch) < 0) return perror_(err, "unbalanced quotes in request");
        return (int)(nl + 1 - p);
    }
    nl = find(p, end, '\r');
    if (!nl) return n > INLINE_MAX ? perror_(err, "too big mbulk count string") : 0;
    if (nl + 1 >= end) return 0;                            /* the \n has not arrived */
    if (!resp_str2ll(p + 1, (unsigned)(nl - p - 1), &count) || count > 0x7FFFFFFF)
        return perror_(err, "invalid multibulk length");
    q = nl + 2;
    if (count <= 0) return (int)(q - p);
    if (count > SERVER_MAX_ARGS) return perror_(err, "too many arguments in request");
    for (i = 0; i < (unsigned)count; i++) {
        if (q >= end) return 0;
        if (*q != '$') {
            memcpy(errbuf, "expected '$', got ' '", 22);
            errbuf[19] = (*q == '\r' || *q == '\n') ? ' ' : (char)*q;
            return perror_(err, errbuf);
        }
        nl = find(q, end, '\r');
        if (!nl) return end - q > INLINE_MAX ? perror_(err, "too big bulk count string") : 0;
        if (nl + 1 >= end) return 0;
        if (!resp_str2ll(q + 1, (unsigned)(nl - q - 1), &blen) || blen < 0 || blen > SERVER_INBUF)
            return perror_(err, "invalid bulk length");
        q = nl + 2;
        if (end - q < blen + 2) return 0;
        r->argv[i] = q;
        r->len[i] = (unsigned)blen;
        q += blen + 2;                                      /* Redis skips the CRLF unchecked */
    }
    r->argc = (unsigned)count;
    return (int)(q - p);
}

void w_bytes(struct writer *w, const void *p, unsigned n) {
    if (w->over || n > w->cap - w->used) { w->over = 1; return; }
    memcpy(w->buf + w->used, p, n);
    w->used += n;
}

void w_str(struct writer *w, const char *s) { w_bytes(w, s, (unsigned)strlen(s)); }

unsigned ll2str(char *s, long long v) {
    char t[24];
    unsigned n = 0, i;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    unsigned small;
    while (u > 0xFFFFFFFFu) { t[n++] = (char)('0' + (int)(u % 10)); u /= 10; }
    small = (unsigned)u;                    /* 32-bit divisions from here: no runtime calls */
    do { t[n++] = (char)('0' + small % 10); small /= 10; } while (small);
    if (v < 0) t[n++] = '-';
    for (i = 0; i < n; i++) s[i] = t[n - 1 - i];
    return n;
}

static void w_line(struct writer *w, char type, long long v) {
    char s[24];
    s[0] = type;
    w_bytes(w, s, 1 + ll2str(s + 1, v));
    w_bytes(w, "\r\n", 2);
}

void w_simple(struct writer *w, const char *s) { w_bytes(w, "+", 1); w_str(w, s); w_bytes(w, "\r\n", 2); }

void w_error(struct writer *w, const char *s) {
    unsigned start = w->used, i;
    w_bytes(w, "-", 1);
    w_str(w, s);
    if (!w->over)
        for (i = start + 1; i < w->used; i++)
            if (w->buf[i] == '\r' || w->buf[i] == '\n') w->buf[i] = ' ';
    w_bytes(w, "\r\n", 2);
}

void w_int(struct writer *w, long long v) { w_line(w, ':', v); }
void w_array(struct writer *w, unsigned n) { w_line(w, '*', n); }
void w_nil(struct writer *w) { w_bytes(w, "$-1\r\n", 5); }

void w_bulk(struct writer *w, const void *p, unsigned n) {
    w_line(w, '$', n);
    w_bytes(w, p, n);
    w_bytes(w, "\r\n", 2);
}
