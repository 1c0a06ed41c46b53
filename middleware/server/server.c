/* The front end's request loop: buffer the input, parse requests (resp.c), run them
 * (commands.c), commit once for the whole batch before the replies leave (group commit: a
 * reply handed back by server_handle is for durable state). */
#include <stdlib.h>
#include <string.h>
#include "resp.h"
#include "commands.h"

struct server_conn {
    engine *db;
    unsigned len;                       /* buffered input */
    int dead;                           /* the engine failed */
    int closing;                        /* a protocol error: Redis would close the connection */
    struct req req;
    unsigned char in[SERVER_INBUF];
    unsigned char scratch[SERVER_INBUF];  /* unescaped inline arguments */
};

void (*server_exclusive)(int begin) = 0;

struct server_conn *server_conn_new(engine *db) {
    struct server_conn *c = (struct server_conn *)malloc(sizeof(struct server_conn));
    if (!c) return 0;
    c->db = db;
    c->len = 0;
    c->dead = 0;
    c->closing = 0;
    return c;
}

void server_conn_free(struct server_conn *c) { free(c); }

int server_conn_closing(const struct server_conn *c) { return c->closing; }

int server_handle(struct server_conn *c, const void *in, unsigned len, void *out, unsigned cap) {
    struct writer w;
    unsigned pos = 0;
    int writes = 0;
    char errbuf[32];
    w.buf = (unsigned char *)out;
    w.cap = cap;
    w.used = 0;
    w.over = 0;
    if (c->dead) return SERVER_EFATAL;
    if (len > SERVER_INBUF - c->len) {
        /* More than a request may hold: as Redis would for a query buffer over its limit. */
        c->len = 0;
        c->closing = 1;
        w_error(&w, "ERR Protocol error: too big request");
        return w.over ? 0 : (int)w.used;
    }
    if (len) memcpy(c->in + c->len, in, len);
    c->len += len;
    while (pos < c->len) {
        const char *err = 0;
        unsigned start = w.used;
        int n = resp_parse(c->in + pos, c->len - pos, &c->req, c->scratch, &err, errbuf);
        if (n == 0) break;
        if (n < 0) {
            w_bytes(&w, "-ERR Protocol error: ", 21);
            w_str(&w, err);
            w_bytes(&w, "\r\n", 2);
            if (w.over) { w.used = start; w.over = 0; break; }
            pos = c->len;               /* the rest of the input is dropped */
            c->closing = 1;
            break;
        }
        if (c->req.argc > 0) {
            int excl = server_exclusive != 0 && !cmd_single_op(&c->req), rc;
            if (excl) {
                /* This connection's own buffered writes go first, then nobody else's meanwhile. */
                if (writes && engine_commit(c->db) < 0) { c->dead = 1; return SERVER_EFATAL; }
                writes = 0;
                server_exclusive(1);
            }
            rc = cmd_execute(c->db, &c->req, &w, cap);
            if (excl) server_exclusive(0);
            if (rc == CMD_NO_ROOM) { w.used = start; w.over = 0; break; }
            if (rc == CMD_FATAL) { c->dead = 1; return SERVER_EFATAL; }
            if (rc == CMD_WROTE) writes = 1;
        }
        pos += (unsigned)n;
    }
    if (writes && engine_commit(c->db) < 0) { c->dead = 1; return SERVER_EFATAL; }
    memmove(c->in, c->in + pos, c->len - pos);
    c->len -= pos;
    return (int)w.used;
}
