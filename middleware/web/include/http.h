/* http.h: the HTTP/1.1 front end (docs/web.md) over the file layer (files.h). Transport-
 * agnostic, like the database's server.h: the server program feeds it a connection's bytes and
 * sends back what it writes. Parsing (parse.c) is apart from execution (respond.c); conn.c
 * keeps a connection's state between calls (keep-alive, pipelining, a body half sent).
 *
 * GET and HEAD of files and directories; 200, 206 (one range), 301 (a directory without its
 * '/'), 304 (If-None-Match), 400, 404, 405, 413, 416, 431 and 500, each with a small HTML body.
 * Replies carry Content-Length (never chunked) and no Date: the server has no clock it may
 * show (RFC 9110 §6.6.1), which also keeps runs deterministic. */
#ifndef VAMOS_HTTP_H
#define VAMOS_HTTP_H

#define HTTP_HEAD_MAX   8192        /* bytes of a request line and headers: more gets 431 */
#define HTTP_BODY_MAX   (1 << 20)   /* a request body (read and discarded): more gets 413 */
#define HTTP_OUT_MIN    2048        /* web_handle's `cap` must be at least this */

struct web_conn;

struct web_conn *web_conn_new(void);    /* NULL when out of memory */
void web_conn_free(struct web_conn *c);

/* Appends `len` input bytes and answers every complete request (pipelining) while the replies
 * fit in `cap` bytes at `out` -> the bytes written. When work is left because out was full (a
 * large body), call again with len 0 until it returns 0. */
int web_handle(struct web_conn *c, const void *in, unsigned len, void *out, unsigned cap);

/* 1 once the connection must close after what web_handle wrote: the client asked for it
 * (Connection: close, HTTP/1.0), the request was malformed or too large, or the file layer
 * failed in the middle of a body (the client sees the body end early). */
int web_conn_closing(const struct web_conn *c);

#endif
