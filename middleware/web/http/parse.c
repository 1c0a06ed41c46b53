/* Request parsing (request.h): the request line and the headers the server acts on. Lines end
 * in CRLF or a bare LF (RFC 9112 §2.2). What the responder needs is extracted here, so a
 * malformed request never reaches the file layer. */
#include <string.h>
#include "http.h"
#include "request.h"

/* The end of the head: the byte after its empty line, or 0 when there is none yet. */
static unsigned head_end(const char *b, unsigned len) {
    unsigned i;
    for (i = 0; i < len; i++) {
        if (b[i] != '\n') continue;
        if (i + 1 < len && b[i + 1] == '\n') return i + 2;
        if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n') return i + 3;
    }
    return 0;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int same_word(const char *a, unsigned n, const char *word) {
    unsigned i;
    if (strlen(word) != n) return 0;
    for (i = 0; i < n; i++) if (lower((unsigned char)a[i]) != word[i]) return 0;
    return 1;
}

static int is_tchar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != 0);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The target's path, percent-decoded, without query or fragment; 0, or 400 when it is not one
 * a file could have ("..", NUL, a bad escape). */
static unsigned take_path(struct http_request *r, const char *t, unsigned n) {
    unsigned i, out = 0;
    if (n == 0 || t[0] != '/') return 400;
    for (i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
        int c = (unsigned char)t[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(t[i + 1]) : -1, lo = i + 2 < n ? hexval(t[i + 2]) : -1;
            if (hi < 0 || lo < 0) return 400;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) return 400;   /* no control bytes (CR LF would split a Location header) */
        if (out > SITE_PATH_MAX) { r->path_too_long = 1; continue; }
        r->path[out++] = (char)c;
    }
    r->path[out] = 0;
    r->path_len = out;
    /* A ".." segment would climb out of the site on any other file system: refuse it here too. */
    for (i = 0; i + 1 < out; i++)
        if (r->path[i] == '/' && r->path[i + 1] == '.' && (i + 2 == out || r->path[i + 2] == '/' ||
            (r->path[i + 2] == '.' && (i + 3 == out || r->path[i + 3] == '/')))) return 400;
    return 0;
}

static unsigned request_line(struct http_request *r, const char *l, unsigned n, int *minor) {
    unsigned m = 0, t, tn;
    while (m < n && is_tchar((unsigned char)l[m])) m++;
    if (m == 0 || m >= n || l[m] != ' ') return 400;
    if (m == 3 && memcmp(l, "GET", 3) == 0) r->method = METHOD_GET;
    else if (m == 4 && memcmp(l, "HEAD", 4) == 0) r->method = METHOD_HEAD;
    else r->method = METHOD_OTHER;
    t = m + 1;
    for (tn = 0; t + tn < n && l[t + tn] != ' '; tn++) {
        if ((unsigned char)l[t + tn] <= ' ' || (unsigned char)l[t + tn] >= 127) return 400;
    }
    if (t + tn + 9 != n || memcmp(l + t + tn + 1, "HTTP/1.", 7) != 0) return 400;
    if (l[n - 1] != '0' && l[n - 1] != '1') return 400;
    *minor = l[n - 1] - '0';
    return take_path(r, l + t, tn);
}

static unsigned number(const char *v, unsigned n, unsigned *out) {
    unsigned i, x = 0;
    if (n == 0) return 400;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return 400;
        if (x > (0xFFFFFFFFu - 9) / 10) { *out = 0xFFFFFFFFu; return 0; }   /* huge: 413 later */
        x = x * 10 + (unsigned)(v[i] - '0');
    }
    *out = x;
    return 0;
}

/* Does the comma-separated list `v` hold the token `word` (case-insensitive)? */
static int has_token(const char *v, unsigned n, const char *word) {
    unsigned i = 0;
    while (i < n) {
        unsigned s, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (same_word(v + s, e - s, word)) return 1;
    }
    return 0;
}

static void keep(char *dst, unsigned cap, const char *v, unsigned n) {
    if (n > cap) n = cap;
    memcpy(dst, v, n);
    dst[n] = 0;
}

int http_parse(const char *buf, unsigned len, struct http_request *r) {
    unsigned end = head_end(buf, len), at = 0, first = 1, bad = 0;
    int minor = 1, has_host = 0, has_cl = 0, conn_close = 0, conn_keep = 0;
    if (end == 0) return len >= HTTP_HEAD_MAX ? -1 : 0;
    if (end > HTTP_HEAD_MAX) return -1;
    memset(r, 0, sizeof *r);
    r->method = METHOD_OTHER;
    while (at < end) {
        unsigned e = at, n, c, vs, ve;
        while (buf[e] != '\n') e++;
        n = e - at;
        if (n > 0 && buf[e - 1] == '\r') n--;
        if (first && n == 0) { at = e + 1; continue; }   /* RFC 9112 §2.2: skip empty lines before a request */
        if (n == 0) break;
        if (first) {
            bad = request_line(r, buf + at, n, &minor);
            first = 0;
            if (bad) break;
            at = e + 1;
            continue;
        }
        for (c = 0; c < n && buf[at + c] != ':'; c++) {
            if (!is_tchar((unsigned char)buf[at + c])) { bad = 400; break; }   /* obs-fold, space before ':' */
        }
        if (bad || c == 0 || c == n) { bad = 400; break; }
        vs = at + c + 1; ve = at + n;
        while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t')) vs++;
        while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) ve--;
        if (same_word(buf + at, c, "host")) has_host++;
        else if (same_word(buf + at, c, "content-length")) {
            unsigned v = 0;
            if (number(buf + vs, ve - vs, &v) || (has_cl && v != r->content_length)) { bad = 400; break; }
            has_cl = 1;
            r->content_length = v;
        } else if (same_word(buf + at, c, "transfer-encoding")) {
            bad = 400;       /* request bodies in chunks are not supported: the framing is unknown */
            break;
        } else if (same_word(buf + at, c, "connection")) {
            conn_close |= has_token(buf + vs, ve - vs, "close");
            conn_keep |= has_token(buf + vs, ve - vs, "keep-alive");
        } else if (same_word(buf + at, c, "if-none-match")) {
            r->has_inm = 1;
            keep(r->inm, TAGS_MAX, buf + vs, ve - vs);
        } else if (same_word(buf + at, c, "range")) {
            r->has_range = 1;
            keep(r->range, RANGE_MAX, buf + vs, ve - vs);
        } else if (same_word(buf + at, c, "if-range")) {
            r->has_if_range = 1;
        }
        at = e + 1;
    }
    if (first && !bad) bad = 400;                      /* only empty lines */
    if (!bad && minor == 1 && has_host != 1) bad = 400;   /* RFC 9112 §3.2 */
    if (!bad && r->content_length > HTTP_BODY_MAX) bad = 413;
    r->error = bad;
    r->keep_alive = !bad && !conn_close && (minor == 1 || conn_keep);
    r->http10 = minor == 0;
    return (int)end;
}
