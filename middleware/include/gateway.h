/* gateway.h: the framing between the VMM's TCP gateway (devices/virtio/net/gateway/) and a
 * guest server, docs/gateway.md. Every UDP datagram between the gateway (10.0.2.2) and the
 * guest server starts with this 12-byte header, in network byte order; the connection's bytes
 * follow. devices/virtio/net/gateway/proto.ts holds the same numbers, and a test keeps the two
 * equal. */
#ifndef VAMOS_GATEWAY_H
#define VAMOS_GATEWAY_H

#define GW_MAGIC0       0x56    /* 'V' */
#define GW_MAGIC1       0x47    /* 'G' */
#define GW_VERSION      1
#define GW_HDR          12
#define GW_MAX_PAYLOAD  (1472 - GW_HDR)   /* one Ethernet frame's UDP payload, less the header */

/* Types. Gateway to server: OPEN, DATA, CLOSE, SHUTDOWN. Server to gateway: HELLO, DATA, CLOSE, ACK. */
#define GW_OPEN      1   /* a client connected; seq 0 */
#define GW_DATA      2   /* bytes of the connection's stream, in order */
#define GW_CLOSE     3   /* g->s: the client went away; s->g: the server closes the connection */
#define GW_ACK       4   /* s->g: only the acknowledgement, no bytes */
#define GW_SHUTDOWN  5   /* g->s: the operator stops the server (conn 0): flush and exit */
#define GW_HELLO     6   /* s->g: the server is listening (conn 0, seq 0); the gateway waits for it */

/* Header fields (byte offsets). */
#define GW_OFF_TYPE  3
#define GW_OFF_CONN  4   /* u32: the connection, numbered by the gateway from 1, never reused */
#define GW_OFF_SEQ   8   /* u32: g->s the datagram's number on its connection (OPEN is 0);
                            s->g the count of this connection's datagrams the server has
                            consumed (a cumulative acknowledgement) */

/* The gateway keeps at most GW_WINDOW datagrams (all connections together) sent and not yet
 * acknowledged; the server acknowledges every datagram it consumes with at least one datagram
 * back. GW_WINDOW is below the guest kernel's per-socket queue (UDP_QUEUE), so nothing the
 * gateway sends is ever dropped for want of room. */
#define GW_WINDOW    8

/* Connections a server holds at once (Redis's maxclients, scaled to a guest); the next OPEN is
 * turned away with Redis's "max number of clients reached". vamos serve sizes the guest heap
 * for this many. */
#define GW_MAX_CONNS 64

#endif
