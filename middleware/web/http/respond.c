/* Executing a request (respond.h): the status, the headers and where the body comes from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "http.h"
#include "respond.h"

static const char *reason(unsigned status) {
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    default: return "Internal Server Error";
    }
}

static const char *content_type(const char *path) {
    static const char *const types[] = {
        ".html", "text/html; charset=utf-8", ".htm", "text/html; charset=utf-8",
        ".txt", "text/plain; charset=utf-8", ".css", "text/css", ".js", "text/javascript",
        ".json", "application/json", ".svg", "image/svg+xml", ".png", "image/png",
        ".jpg", "image/jpeg", ".jpeg", "image/jpeg", ".gif", "image/gif", ".ico", "image/x-icon",
        ".pdf", "application/pdf", ".xml", "application/xml", ".wasm", "application/wasm", 0,
    };
    const char *dot = strrchr(path, '.');
    unsigned i;
    if (dot == 0 || strchr(dot, '/') != 0) return "application/octet-stream";
    for (i = 0; types[i] != 0; i += 2) {
        const char *a = dot, *b = types[i];
        while (*a && *b && (*a | 32) == *b) { a++; b++; }
        if (*a == 0 && *b == 0) return types[i + 1];
    }
    return "application/octet-stream";
}

/* The Connection header: close when closing; keep-alive to an HTTP/1.0 client that stays
 * (it assumes a close otherwise, RFC 9112 §9.3); none for HTTP/1.1, where keep-alive is the default. */
static const char *connection(const struct http_request *r, int close) {
    if (close) return "Connection: close\r\n";
    return r->http10 ? "Connection: keep-alive\r\n" : "";
}

/* A status with a small HTML body (none for HEAD). */
static unsigned error_reply(const struct http_request *r, unsigned status, char *out, int close, const char *extra) {
    char body[128];
    unsigned n = (unsigned)snprintf(body, sizeof body, "<!DOCTYPE html>\n<html><body><h1>%u %s</h1></body></html>\n", status, reason(status));
    unsigned h = (unsigned)sprintf(out, "HTTP/1.1 %u %s\r\nServer: vamos-web\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %u\r\n%s%s\r\n",
                                   status, reason(status), n, extra, connection(r, close));
    if (r->method != METHOD_HEAD) { memcpy(out + h, body, n); h += n; }
    return h;
}

/* The entity tag of a file: its hash and size, so any change of bytes or length changes it. */
static void etag_of(const struct files_stat *st, char *tag) { sprintf(tag, "\"%08x-%x\"", st->etag, st->size); }

/* If-None-Match: "*" or a list of tags, weak ones compared weakly (RFC 9110 §13.1.2). */
static int none_match(const char *list, const char *tag) {
    const char *p = list;
    unsigned n = (unsigned)strlen(tag);
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '*') return 1;
        if (p[0] == 'W' && p[1] == '/') p += 2;
        if (strncmp(p, tag, n) == 0 && (p[n] == 0 || p[n] == ',' || p[n] == ' ' || p[n] == '\t')) return 1;
        while (*p && *p != ',') p++;
    }
    return 0;
}

/* Range: "bytes=a-b", "bytes=a-" or "bytes=-n" -> 1 with [*from, *to] inside the file, 0 when the
 * header is to be ignored (another unit, several ranges, bad syntax), -1 when unsatisfiable. */
static int parse_range(const char *v, unsigned size, unsigned *from, unsigned *to) {
    unsigned long long a = 0, b = 0;
    int has_a = 0, has_b = 0;
    if (strncmp(v, "bytes=", 6) != 0 || strchr(v, ',') != 0) return 0;
    v += 6;
    while (*v >= '0' && *v <= '9') { a = a * 10 + (unsigned)(*v++ - '0'); has_a = 1; if (a > 0xFFFFFFFFull) a = 0xFFFFFFFFull; }
    if (*v++ != '-') return 0;
    while (*v >= '0' && *v <= '9') { b = b * 10 + (unsigned)(*v++ - '0'); has_b = 1; if (b > 0xFFFFFFFFull) b = 0xFFFFFFFFull; }
    if (*v != 0 || (!has_a && !has_b) || (has_a && has_b && b < a)) return 0;
    if (!has_a) {                                   /* the last b bytes */
        if (b == 0 || size == 0) return -1;
        *from = b >= size ? 0 : size - (unsigned)b;
        *to = size - 1;
        return 1;
    }
    if (a >= size) return -1;
    *from = (unsigned)a;
    *to = has_b && b < size ? (unsigned)b : size - 1;
    return 1;
}

static unsigned file_reply(const struct http_request *r, const struct files_stat *st, const char *path, char *out, struct body *b, int close) {
    char tag[32], extra[96];
    unsigned from = 0, to = st->size ? st->size - 1 : 0, status = 200, len = st->size, h;
    int range = 0;
    etag_of(st, tag);
    if (r->has_inm && none_match(r->inm, tag))
        return (unsigned)sprintf(out, "HTTP/1.1 304 Not Modified\r\nServer: vamos-web\r\nETag: %s\r\n%s\r\n", tag, connection(r, close));
    if (r->has_range && !r->has_if_range) range = parse_range(r->range, st->size, &from, &to);
    if (range < 0) {
        sprintf(extra, "Content-Range: bytes */%u\r\n", st->size);
        return error_reply(r, 416, out, close, extra);
    }
    extra[0] = 0;
    if (range > 0) {
        status = 206;
        len = to - from + 1;
        sprintf(extra, "Content-Range: bytes %u-%u/%u\r\n", from, to, st->size);
    }
    h = (unsigned)sprintf(out, "HTTP/1.1 %u %s\r\nServer: vamos-web\r\nContent-Type: %s\r\nContent-Length: %u\r\nETag: %s\r\nAccept-Ranges: bytes\r\n%s%s\r\n",
                          status, reason(status), content_type(path), len, tag, extra, connection(r, close));
    if (r->method == METHOD_GET && len > 0) {
        b->kind = BODY_FILE;
        b->id = st->id;
        b->off = from;
        b->left = len;
    }
    return h;
}

/* Appends `s` to the listing, escaped for HTML text (and for a URL in an href when `url`). */
static void put_escaped(char *l, unsigned *at, const char *s, unsigned n, int url) {
    unsigned i;
    for (i = 0; i < n && *at + 8 < LISTING_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (url && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c) != 0))
            *at += (unsigned)sprintf(l + *at, "%%%02X", c);
        else if (c == '&') { memcpy(l + *at, "&amp;", 5); *at += 5; }
        else if (c == '<') { memcpy(l + *at, "&lt;", 4); *at += 4; }
        else if (c == '>') { memcpy(l + *at, "&gt;", 4); *at += 4; }
        else if (c == '"') { memcpy(l + *at, "&quot;", 6); *at += 6; }
        else l[(*at)++] = (char)c;
    }
}

static void put_text(char *l, unsigned *at, const char *s) {
    unsigned n = (unsigned)strlen(s);
    if (*at + n < LISTING_MAX) { memcpy(l + *at, s, n); *at += n; }
}

/* The HTML index of a directory: its children in byte order, cut short at LISTING_MAX. */
static int build_listing(const struct files_stat *st, const char *path, char *l, unsigned *len) {
    char names[1024];
    unsigned at = 0, start = 0, used, i;
    int n;
    put_text(l, &at, "<!DOCTYPE html>\n<html><head><title>Index of ");
    put_escaped(l, &at, path, (unsigned)strlen(path), 0);
    put_text(l, &at, "</title></head><body>\n<h1>Index of ");
    put_escaped(l, &at, path, (unsigned)strlen(path), 0);
    put_text(l, &at, "</h1>\n<ul>\n");
    for (;;) {
        n = files_list(st->id, start, names, sizeof names, &used);
        if (n < 0) return n;
        if (n == 0) break;
        start += (unsigned)n;
        for (i = 0; i < used;) {
            unsigned e = i;
            while (names[e] != '\n') e++;
            if (at + 2 * 3 * (e - i) + 64 >= LISTING_MAX) { put_text(l, &at, "<li>(listing cut short)</li>\n"); goto done; }
            put_text(l, &at, "<li><a href=\"");
            put_escaped(l, &at, names + i, e - i, 1);
            put_text(l, &at, "\">");
            put_escaped(l, &at, names + i, e - i, 0);
            put_text(l, &at, "</a></li>\n");
            i = e + 1;
        }
    }
done:
    put_text(l, &at, "</ul>\n</body></html>\n");
    *len = at;
    return 0;
}

/* What the reply will read from the start of the file: only a plain GET reads it at once. */
static unsigned will_read(const struct http_request *r) {
    return r->method == METHOD_GET && !r->has_inm && !r->has_range ? FIRST_READ : 0;
}

static unsigned dir_reply(const struct http_request *r, struct files_stat *st, char *out, struct body *b, char **listing, int *close) {
    char index[SITE_PATH_MAX + 16];
    struct files_stat ix;
    unsigned len = 0, h;
    if (r->path[r->path_len - 1] != '/') {
        char loc[3 * SITE_PATH_MAX + 32];
        unsigned at = 0, i;
        at += (unsigned)sprintf(loc, "Location: ");
        for (i = 0; i < r->path_len; i++) {
            unsigned char c = (unsigned char)r->path[i];
            if (c > ' ' && c < 127 && c != '%' && c != '"') loc[at++] = (char)c;
            else at += (unsigned)sprintf(loc + at, "%%%02X", c);
        }
        sprintf(loc + at, "/\r\n");
        return error_reply(r, 301, out, *close, loc);
    }
    snprintf(index, sizeof index, "%sindex.html", r->path);
    if (files_stat(index, (unsigned)strlen(index), &ix, will_read(r)) == 0 && ix.kind == FILES_KIND_FILE)
        return file_reply(r, &ix, index, out, b, *close);
    if (*listing == 0) *listing = malloc(LISTING_MAX);
    if (*listing == 0 || build_listing(st, r->path, *listing, &len) < 0) { *close = 1; return error_reply(r, 500, out, 1, ""); }
    h = (unsigned)sprintf(out, "HTTP/1.1 200 OK\r\nServer: vamos-web\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %u\r\n%s\r\n",
                          len, connection(r, *close));
    if (r->method == METHOD_GET) { b->kind = BODY_MEM; b->off = 0; b->left = len; }
    return h;
}

unsigned http_respond(const struct http_request *r, char *out, struct body *b, char **listing, int *close) {
    struct files_stat st;
    int rc;
    b->kind = BODY_NONE;
    b->left = 0;
    *close = !r->keep_alive;
    if (r->error) { *close = 1; return error_reply(r, r->error, out, 1, ""); }
    if (r->method == METHOD_OTHER) return error_reply(r, 405, out, *close, "Allow: GET, HEAD\r\n");
    if (r->path_too_long) return error_reply(r, 404, out, *close, "");
    rc = files_stat(r->path, r->path_len, &st, will_read(r));
    if (rc == FILES_ENOENT) return error_reply(r, 404, out, *close, "");
    if (rc < 0) { *close = 1; return error_reply(r, 500, out, 1, ""); }
    if (st.kind == FILES_KIND_DIR) return dir_reply(r, &st, out, b, listing, close);
    return file_reply(r, &st, r->path, out, b, *close);
}
