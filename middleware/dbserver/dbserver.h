/* dbserver.h: the two transports of the database server (dbserver.c). Each serves until a
 * shutdown request and returns DB_SHUTDOWN, or DB_FATAL when the engine failed (nothing more
 * may be acknowledged). */
#ifndef VAMOS_DBSERVER_H
#define VAMOS_DBSERVER_H

#include "engine.h"

#define DB_SHUTDOWN  0
#define DB_FATAL     2
#define DGRAM_MAX    1472          /* one Ethernet frame's UDP payload */

/* Plain datagrams (the workload driver): a client is its UDP address. dbserver.c */
int serve_datagrams(engine *db, int sock);

/* The TCP gateway's framing (docs/gateway.md): a client is a gateway connection. gateway.c */
int serve_gateway(engine *db, int sock, unsigned port);

/* Over the module channel: one engine operation in flight per waiting client. inflight.c */
int serve_inflight(engine *db, int sock);

/* Shared by the transports (dbserver.c): a reply in datagram-sized chunks; Redis's SHUTDOWN. */
struct udp_addr;
void send_all(int sock, const struct udp_addr *to, const unsigned char *p, unsigned n);
int is_shutdown(const unsigned char *p, unsigned n);

#endif
