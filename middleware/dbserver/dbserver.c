/* dbserver: the database server of the VAMOS experiment (docs/vamos.md), a user program of the
 * vamos guest OS. It serves the RESP front end (middleware/server) over UDP, one datagram per
 * request chunk and reply chunk, with per-client state so requests may span datagrams.
 *
 * The same source is linked twice: with the storage engine and the guest OSAL (baseline: the
 * engine's I/O goes through the kernel's virtio-blk driver) or with the VAMOS stub (the engine
 * runs at the hypervisor level and each operation is one hypercall). PLACEMENT names which.
 *
 * With the module channel (VAMOS_CHANNEL, transport_virtio.c) plain datagrams are served by
 * inflight.c instead, one engine operation in flight per waiting client.
 *
 * Two transports: plain datagrams, one client per UDP address (the workload driver; SHUTDOWN,
 * the Redis command, closes the engine and exits), or the TCP gateway's connection framing
 * (gateway.c, docs/gateway.md; its SHUTDOWN datagram does the same).
 *
 * Usage: dbserver [pool_pages [port [udp|gateway]]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vamos.h"
#include "engine.h"
#include "osal.h"
#include "server.h"
#include "dbserver.h"

#ifndef PLACEMENT
#define PLACEMENT "guest"
#endif

#define MAX_CLIENTS   64
#define OUT_CAP       16384

struct client {
    struct udp_addr addr;
    struct server_conn *conn;
    unsigned last_used;
};

static struct client clients[MAX_CLIENTS];
static unsigned nclients, clock_ticks;
static unsigned char in[DGRAM_MAX];
static unsigned char out[OUT_CAP];

/* The connection of a client address, made on first contact; the least recently used one
 * makes room when the table is full (its partial request, if any, is lost). */
static struct client *client_for(engine *db, const struct udp_addr *a) {
    unsigned i, victim = 0;
    for (i = 0; i < nclients; i++) {
        if (clients[i].addr.ip == a->ip && clients[i].addr.port == a->port) {
            clients[i].last_used = ++clock_ticks;
            return &clients[i];
        }
        if (clients[i].last_used < clients[victim].last_used) victim = i;
    }
    if (nclients < MAX_CLIENTS) victim = nclients++;
    else server_conn_free(clients[victim].conn);
    clients[victim].addr = *a;
    clients[victim].conn = server_conn_new(db);
    clients[victim].last_used = ++clock_ticks;
    return clients[victim].conn ? &clients[victim] : NULL;
}

void send_all(int sock, const struct udp_addr *to, const unsigned char *p, unsigned n) {
    while (n > 0) {
        unsigned chunk = n < DGRAM_MAX ? n : DGRAM_MAX;
        udp_send(sock, to, p, chunk);
        p += chunk;
        n -= chunk;
    }
}

/* Redis's SHUTDOWN, recognised before the front end sees it: no reply, the server exits. */
int is_shutdown(const unsigned char *p, unsigned n) {
    static const char cmd[] = "*1\r\n$8\r\nSHUTDOWN\r\n";
    unsigned i;
    if (n != sizeof cmd - 1) return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
        if (c != (unsigned char)cmd[i]) return 0;
    }
    return 1;
}

int serve_datagrams(engine *db, int sock) {
    for (;;) {
        struct udp_addr from;
        struct client *c;
        int n = udp_recv(sock, &from, in, sizeof in), m;
        if (n <= 0) continue;
        if (is_shutdown(in, (unsigned)n)) return DB_SHUTDOWN;
        c = client_for(db, &from);
        if (c == NULL) continue;
        m = server_handle(c->conn, in, (unsigned)n, out, sizeof out);
        while (m > 0) {
            send_all(sock, &from, out, (unsigned)m);
            m = server_handle(c->conn, NULL, 0, out, sizeof out);
        }
        if (m == SERVER_EFATAL) return DB_FATAL;
    }
}

int main(int argc, char **argv) {
    unsigned pool = argc > 1 ? (unsigned)atoi(argv[1]) : 64;
    unsigned port = argc > 2 ? (unsigned)atoi(argv[2]) : 6379;
    const char *mode = argc > 3 ? argv[3] : "udp";
    int gateway = strcmp(mode, "gateway") == 0;
    engine *db;
    int sock, rc;
    if (!gateway && strcmp(mode, "udp") != 0) {
        printf("dbserver: unknown transport '%s' (udp or gateway)\n", mode);
        return 1;
    }
#ifndef VAMOS_STUB
    rc = osal_guest_open(0);
    if (rc < 0) {
        printf("dbserver: no data disk (%d)\n", rc);
        return 1;
    }
#endif
    rc = engine_open(&db, pool);
    if (rc < 0) {
        printf("dbserver: cannot open the engine: %s\n", engine_strerror(rc));
        return 1;
    }
    sock = udp_bind(port);
    if (sock < 0) {
        printf("dbserver: cannot bind udp port %u (%d)\n", port, sock);
        return 1;
    }
    printf("dbserver: %s engine, %u keys, pool %u pages, udp port %u%s\n", PLACEMENT, engine_count(db), pool, port,
           gateway ? ", gateway framing" : "");
    flush_output();
#ifdef VAMOS_CHANNEL
    rc = gateway ? serve_gateway(db, sock, port) : serve_inflight(db, sock);
#else
    rc = gateway ? serve_gateway(db, sock, port) : serve_datagrams(db, sock);
#endif
    if (rc == DB_FATAL) {
        printf("dbserver: the engine failed; stopping without acknowledging more\n");
        return 2;
    }
    rc = engine_close(db);
    printf("dbserver: shut down (%s)\n", engine_strerror(rc));
    return rc < 0 ? 2 : 0;
}
