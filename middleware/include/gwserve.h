/* gwserve.h: a guest server's side of the VMM's TCP gateway (docs/gateway.md), for any
 * protocol: the loop (middleware/netserve/gwserve.c) keeps the connections, their sequence
 * numbers and acknowledgements; the application only turns a connection's input bytes into
 * output bytes, with the contract of the database's server_handle and the web's web_handle. */
#ifndef VAMOS_GWSERVE_H
#define VAMOS_GWSERVE_H

#define GWS_SHUTDOWN 0     /* gw_serve: the operator stopped the server */
#define GWS_FATAL    (-1)  /* gw_serve: the application failed; nothing more may be acknowledged */

struct gw_app {
    void *ctx;
    /* A new connection's state; NULL turns the client away with `busy`. */
    void *(*open)(void *ctx);
    /* Appends the input and writes what is ready (at most cap bytes) -> bytes, or < 0: fatal.
     * Called again with n 0 until it returns 0. */
    int (*handle)(void *conn, const unsigned char *in, unsigned n, unsigned char *out, unsigned cap);
    /* 1 when the connection must close once its output is sent. */
    int (*closing)(void *conn);
    void (*release)(void *conn);
    /* What a client turned away reads before its connection closes. */
    const char *busy;
    /* What a client reads before its connection closes because a datagram of it was lost
     * (its stream is broken); NULL: nothing, only the close. */
    const char *lost;
    /* The application's output buffer, at least 2 KiB. */
    unsigned char *out;
    unsigned cap;
};

/* Says HELLO to the gateway at `port` and serves until SHUTDOWN -> GWS_SHUTDOWN or GWS_FATAL. */
int gw_serve(const struct gw_app *app, int sock, unsigned port);

#endif
