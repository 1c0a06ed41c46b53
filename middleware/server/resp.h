/* resp.h: the RESP2 request parser and reply writer (resp.c), used by server.c. */
#ifndef VAMOS_RESP_H
#define VAMOS_RESP_H

#include "server.h"

struct req {
    unsigned argc;
    const unsigned char *argv[SERVER_MAX_ARGS];
    unsigned len[SERVER_MAX_ARGS];
};

/* Parses one request at p[0..n): > 0 the bytes it took (argc 0 means an empty request),
 * 0 incomplete, < 0 a protocol error whose message is in *err (without "ERR Protocol error: ").
 * Inline requests are unescaped into `scratch` (at least n bytes). */
int resp_parse(const unsigned char *p, unsigned n, struct req *r, unsigned char *scratch, const char **err, char *errbuf);

/* Redis's string2ll: the strict decimal form of a 64-bit integer. 1 if s is one. */
int resp_str2ll(const unsigned char *s, unsigned n, long long *out);

/* Reply writers: append to w, never beyond cap (w->over is set instead). */
struct writer { unsigned char *buf; unsigned cap, used; int over; };
void w_bytes(struct writer *w, const void *p, unsigned n);
void w_str(struct writer *w, const char *s);
void w_simple(struct writer *w, const char *s);   /* +s\r\n */
void w_error(struct writer *w, const char *s);    /* -s\r\n, CR and LF in s become spaces */
void w_int(struct writer *w, long long v);        /* :v\r\n */
void w_bulk(struct writer *w, const void *p, unsigned n);
void w_nil(struct writer *w);                     /* $-1\r\n */
void w_array(struct writer *w, unsigned n);
unsigned ll2str(char *s, long long v);           /* decimal, no NUL; at most 20 bytes */

#endif
