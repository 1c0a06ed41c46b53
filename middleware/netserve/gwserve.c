/* gwserve.c: the guest side of the TCP gateway for any application (gwserve.h). Each TCP
 * connection arrives as a gateway connection: OPEN, then DATA datagrams carrying its byte
 * stream in order, then CLOSE. Every datagram consumed is acknowledged by at least one
 * datagram back (the replies carry the acknowledgement; an ACK when there is none), which is
 * what lets the gateway keep its window below the kernel's socket queue. */
#include <string.h>
#include "vamos.h"
#include "gateway.h"
#include "gwserve.h"
#include "platform.h"

#define DGRAM_MAX 1472

struct gw_conn {
    unsigned id;                    /* 0: a free slot */
    unsigned consumed;              /* datagrams taken from the gateway, OPEN included */
    void *app;
};

static struct gw_conn conns[GW_MAX_CONNS];
static unsigned char rx[DGRAM_MAX];
static unsigned char tx[GW_HDR + GW_MAX_PAYLOAD];
/* What the gateway sent that was not well formed; kept for a debugger, never acted on. */
static unsigned malformed;

static unsigned get32(const unsigned char *p) {
    return ((unsigned)p[0] << 24) | ((unsigned)p[1] << 16) | ((unsigned)p[2] << 8) | p[3];
}

static void put32(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static void send_gw(int sock, const struct udp_addr *to, unsigned type, unsigned conn, unsigned ack,
                    const unsigned char *p, unsigned n) {
    tx[0] = GW_MAGIC0; tx[1] = GW_MAGIC1; tx[2] = GW_VERSION; tx[3] = (unsigned char)type;
    put32(tx + GW_OFF_CONN, conn);
    put32(tx + GW_OFF_SEQ, ack);
    if (n) memcpy(tx + GW_HDR, p, n);
    udp_send(sock, to, tx, GW_HDR + n);
}

/* The connection's bytes as DATA datagrams, each carrying the acknowledgement. */
static void send_data(int sock, const struct udp_addr *to, unsigned id, unsigned ack, const unsigned char *p, unsigned n) {
    while (n > 0) {
        unsigned chunk = n < GW_MAX_PAYLOAD ? n : GW_MAX_PAYLOAD;
        send_gw(sock, to, GW_DATA, id, ack, p, chunk);
        p += chunk;
        n -= chunk;
    }
}

static struct gw_conn *find(unsigned id) {
    unsigned i;
    for (i = 0; i < GW_MAX_CONNS; i++)
        if (conns[i].id == id) return &conns[i];
    return NULL;
}

static void release(const struct gw_app *app, struct gw_conn *c) {
    app->release(c->app);
    c->app = NULL;
    c->id = 0;
}

static void on_open(const struct gw_app *app, int sock, const struct udp_addr *from, unsigned id) {
    struct gw_conn *c = find(id);
    if (c != NULL) release(app, c);  /* a second OPEN: the gateway lost track; start over */
    else c = find(0);               /* a free slot (id 0) */
    if (c != NULL) c->app = app->open(app->ctx);
    if (c == NULL || c->app == NULL) {   /* the slot, if any, stays free */
        send_data(sock, from, id, 1, (const unsigned char *)app->busy, (unsigned)strlen(app->busy));
        send_gw(sock, from, GW_CLOSE, id, 1, NULL, 0);
        return;
    }
    c->id = id;
    c->consumed = 1;
    send_gw(sock, from, GW_ACK, id, c->consumed, NULL, 0);
}

/* DATA for a live connection: run what is complete, send the replies, close when the
 * application says so. 0, or GWS_FATAL. */
static int on_data(const struct gw_app *app, int sock, const struct udp_addr *from, struct gw_conn *c, unsigned seq,
                   const unsigned char *p, unsigned n) {
    int m, sent = 0;
    if (seq != c->consumed) {       /* a lost datagram: the stream is broken, so is the connection */
        if (app->lost) send_data(sock, from, c->id, seq + 1, (const unsigned char *)app->lost, (unsigned)strlen(app->lost));
        send_gw(sock, from, GW_CLOSE, c->id, seq + 1, NULL, 0);
        release(app, c);
        return 0;
    }
    c->consumed++;
    m = app->handle(c->app, p, n, app->out, app->cap);
    while (m > 0) {
        send_data(sock, from, c->id, c->consumed, app->out, (unsigned)m);
        sent = 1;
        m = app->handle(c->app, NULL, 0, app->out, app->cap);
    }
    if (m < 0) return GWS_FATAL;
    if (app->closing(c->app)) {
        send_gw(sock, from, GW_CLOSE, c->id, c->consumed, NULL, 0);
        release(app, c);
    } else if (!sent) {
        send_gw(sock, from, GW_ACK, c->id, c->consumed, NULL, 0);
    }
    return 0;
}

int gw_serve(const struct gw_app *app, int sock, unsigned port) {
    struct udp_addr gateway;
    gateway.ip = NET_GATEWAY_IP;
    gateway.port = port;
    send_gw(sock, &gateway, GW_HELLO, 0, 0, NULL, 0);
    for (;;) {
        struct udp_addr from;
        struct gw_conn *c;
        unsigned type, id, seq;
        int n = udp_recv(sock, &from, rx, sizeof rx);
        if (n < GW_HDR || rx[0] != GW_MAGIC0 || rx[1] != GW_MAGIC1 || rx[2] != GW_VERSION) {
            malformed++;
            continue;
        }
        type = rx[GW_OFF_TYPE];
        id = get32(rx + GW_OFF_CONN);
        seq = get32(rx + GW_OFF_SEQ);
        if (type == GW_SHUTDOWN) return GWS_SHUTDOWN;
        if (id == 0) {
            malformed++;
            continue;
        }
        c = find(id);
        switch (type) {
        case GW_OPEN:
            on_open(app, sock, &from, id);
            break;
        case GW_DATA:
            if (c == NULL) send_gw(sock, &from, GW_CLOSE, id, seq + 1, NULL, 0);
            else if (on_data(app, sock, &from, c, seq, rx + GW_HDR, (unsigned)n - GW_HDR) < 0) return GWS_FATAL;
            break;
        case GW_CLOSE:
            if (c != NULL) release(app, c);
            send_gw(sock, &from, GW_ACK, id, seq + 1, NULL, 0);
            break;
        default:                    /* keep the window draining even so */
            malformed++;
            send_gw(sock, &from, GW_ACK, id, seq + 1, NULL, 0);
            break;
        }
    }
}
