/* request.h: one parsed request head (parse.c), as the responder (respond.c) needs it. */
#ifndef VAMOS_WEB_REQUEST_H
#define VAMOS_WEB_REQUEST_H

#include "site.h"

#define METHOD_GET   1
#define METHOD_HEAD  2
#define METHOD_OTHER 3

#define TAGS_MAX     512     /* bytes kept of If-None-Match */
#define RANGE_MAX    64      /* bytes kept of Range */

struct http_request {
    unsigned error;                  /* 0, or the status to answer with (400, 413) */
    int method;
    int keep_alive;
    int http10;                      /* an HTTP/1.0 request: keep-alive must be said in the reply */
    char path[SITE_PATH_MAX + 2];    /* percent-decoded, without the query; NUL-terminated */
    unsigned path_len;
    int path_too_long;               /* no file has such a path: 404 */
    unsigned content_length;         /* body bytes that follow the head (discarded) */
    int has_inm, has_range, has_if_range;
    char inm[TAGS_MAX + 1];
    char range[RANGE_MAX + 1];
};

/* Parses the head at the start of buf -> its length in bytes (the request is in *r; r->error
 * may be set), 0 when the head is not complete yet, or -1 when HTTP_HEAD_MAX bytes hold no
 * complete head (431). */
int http_parse(const char *buf, unsigned len, struct http_request *r);

#endif
