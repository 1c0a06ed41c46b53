/* gateway.c: the database server behind the VMM's TCP gateway (docs/gateway.md). The
 * connections, sequence numbers and acknowledgements are the shared gateway loop's
 * (middleware/netserve/gwserve.c, which the web server uses too); here each gateway connection
 * is a RESP connection of the front end, turned away or closed with Redis's error replies. */
#include "server.h"
#include "gwserve.h"
#include "dbserver.h"

#define OUT_CAP   16384

static unsigned char replies[OUT_CAP];

static void *open_conn(void *db) { return server_conn_new((engine *)db); }

static int handle(void *c, const unsigned char *in, unsigned n, unsigned char *out, unsigned cap) {
    int m = server_handle(c, in, n, out, cap);
    return m == SERVER_EFATAL ? GWS_FATAL : m;
}

/* Redis closes the connection after a protocol error's reply: so does the gateway. */
static int closing(void *c) { return server_conn_closing(c); }
static void release(void *c) { server_conn_free(c); }

int serve_gateway(engine *db, int sock, unsigned port) {
    struct gw_app app;
    app.ctx = db; app.open = open_conn; app.handle = handle; app.closing = closing; app.release = release;
    app.busy = "-ERR max number of clients reached\r\n";
    app.lost = "-ERR gateway: lost datagram\r\n";
    app.out = replies; app.cap = OUT_CAP;
    return gw_serve(&app, sock, port) == GWS_FATAL ? DB_FATAL : DB_SHUTDOWN;
}
