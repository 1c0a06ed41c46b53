/* A connection (http.h): its unparsed input, the body of the reply being sent, and whether it
 * closes. Requests are answered in order; the next one is parsed only when the previous body
 * is out, so pipelined replies never interleave. */
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "http.h"
#include "request.h"
#include "respond.h"

#define INBUF (HTTP_HEAD_MAX + 2048)

struct web_conn {
    char in[INBUF];
    unsigned used;
    unsigned discard;       /* request body bytes still to drop */
    struct body body;
    char *listing;          /* a directory listing being sent (allocated on first use) */
    int close_after;        /* close once the current body is out */
    int closing;            /* closed: nothing more is read */
    int too_big;            /* a head over the buffer: answer 431 and close */
};

struct web_conn *web_conn_new(void) {
    struct web_conn *c = malloc(sizeof *c);
    if (c == 0) return 0;
    memset(c, 0, sizeof *c);
    return c;
}

void web_conn_free(struct web_conn *c) {
    if (c == 0) return;
    free(c->listing);
    free(c);
}

int web_conn_closing(const struct web_conn *c) { return c->closing && c->body.left == 0; }

static void consume(struct web_conn *c, unsigned n) {
    memmove(c->in, c->in + n, c->used - n);
    c->used -= n;
}

/* Copies as much of the current body as fits -> bytes written. A read failure mid-body ends
 * the connection: the head promised more bytes than the client will get, so it must close. */
static unsigned send_body(struct web_conn *c, char *out, unsigned room) {
    unsigned n = c->body.left < room ? c->body.left : room;
    if (c->body.kind == BODY_MEM) {
        memcpy(out, c->listing + c->body.off, n);
    } else {
        int got = files_read(c->body.id, c->body.off, out, n);
        if (got <= 0) {
            c->body.left = 0;
            c->closing = 1;
            return 0;
        }
        n = (unsigned)got;
    }
    c->body.off += n;
    c->body.left -= n;
    if (c->body.left == 0 && c->close_after) c->closing = 1;
    return n;
}

int web_handle(struct web_conn *c, const void *input, unsigned len, void *output, unsigned cap) {
    const char *in = input;
    char *out = output;
    unsigned w = 0;
    struct http_request req;
    /* A request body (discarded) need not fit in the buffer: buffered bytes come first. */
    if (c->discard > 0 && c->used > 0) {
        unsigned d = c->used < c->discard ? c->used : c->discard;
        consume(c, d);
        c->discard -= d;
    }
    if (c->discard > 0 && c->used == 0) {
        unsigned n = len < c->discard ? len : c->discard;
        c->discard -= n; in += n; len -= n;
    }
    if (c->closing) len = 0;
    if (len > INBUF - c->used) {
        /* More unparsed input than any head may be (callers drain each call's replies, so the
         * buffer holds at most one unfinished head): the head is too large. */
        c->too_big = 1;
        c->used = 0;
        len = 0;
    }
    memcpy(c->in + c->used, in, len);
    c->used += len;
    while (!c->closing || c->body.left > 0) {
        int n;
        if (c->body.left > 0) {
            unsigned m;
            if (w == cap) break;
            m = send_body(c, out + w, cap - w);
            w += m;
            continue;
        }
        if (c->discard > 0) {
            unsigned d = c->used < c->discard ? c->used : c->discard;
            if (d == 0) break;
            consume(c, d);
            c->discard -= d;
            continue;
        }
        if (cap - w < HTTP_OUT_MIN) break;
        n = c->too_big ? -1 : http_parse(c->in, c->used, &req);
        if (n == 0) break;
        if (n < 0) {
            memset(&req, 0, sizeof req);
            req.error = 431;
            req.method = METHOD_GET;
            c->used = 0;
        } else {
            consume(c, (unsigned)n);
            if (!req.error) c->discard = req.content_length;
        }
        w += http_respond(&req, out + w, &c->body, &c->listing, &c->close_after);
        if (c->close_after && c->body.left == 0) c->closing = 1;
    }
    return (int)w;
}
