/* respond.h: executing one parsed request against the file layer (respond.c). */
#ifndef VAMOS_WEB_RESPOND_H
#define VAMOS_WEB_RESPOND_H

#include "request.h"

#define BODY_NONE 0
#define BODY_FILE 1     /* `left` bytes of file `id` from `off` */
#define BODY_MEM  2     /* `left` bytes of the connection's listing buffer from `off` */

#define LISTING_MAX 32768   /* bytes of a directory listing page; longer ones are cut short */
#define FIRST_READ  32768   /* what a GET of a whole file reads first (files_stat's will_read) */

struct body {
    int kind;
    unsigned id, off, left;
};

/* Writes the reply's head (and a small error body) for `r` at `out` (at least HTTP_OUT_MIN
 * bytes) -> its length; the rest of the body is described in *b. A listing is written into
 * `*listing` (allocated here, LISTING_MAX bytes, when NULL). *close is set when the connection
 * must close after this reply. */
unsigned http_respond(const struct http_request *r, char *out, struct body *b, char **listing, int *close);

#endif
