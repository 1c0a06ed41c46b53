/* server.h: the RESP front end (docs/database.md): a subset of the Redis protocol (RESP2)
 * over the storage-engine interface. Transport-agnostic: the guest server program feeds it
 * the bytes of each datagram (or segment) and sends back what it writes.
 *
 * Commands: PING, GET, SET (NX, XX, GET, KEEPTTL), DEL, EXISTS, INCR, MGET, DBSIZE, and
 * RANGE start end [COUNT n] (ours: the keys k with start <= k <= end, in byte order, as a flat
 * array key, value, key, value, ...). Replies are those of Redis 7 for the same commands. */
#ifndef VAMOS_SERVER_H
#define VAMOS_SERVER_H

#include "engine.h"

#define SERVER_INBUF     65536  /* bytes of one request (and of pending pipelined input) */
#define SERVER_MAX_ARGS  1024   /* arguments of one request */
#define SERVER_EFATAL    (-1)   /* server_handle: the engine failed; nothing may be acknowledged */

struct server_conn;

struct server_conn *server_conn_new(engine *db);    /* NULL when out of memory */
void server_conn_free(struct server_conn *c);

/* Appends `len` input bytes to the connection's buffer and executes every complete request
 * in it (pipelining: several per call; a request split across calls waits for its rest), as
 * long as the reply fits in the `cap` bytes at `out`. Returns the bytes written to out. When
 * requests are left because out was full, call again with len 0 (and a fresh out) until it
 * returns 0. Writes are committed (log flushed) before server_handle returns, so every reply
 * it hands back is for durable state. A protocol error is answered with Redis's error reply
 * and discards the rest of the buffered input (Redis would close the connection). */
int server_handle(struct server_conn *c, const void *in, unsigned len, void *out, unsigned cap);

/* 1 once the connection had a protocol error (or a request over SERVER_INBUF): Redis replies
 * with the error and closes the connection, and a transport with connections should do the
 * same after sending the reply. A datagram transport without connections may go on. */
int server_conn_closing(const struct server_conn *c);

/* Set by a server that runs several connections at once (dbserver's inflight.c): called with 1
 * before a command that reaches the engine more than once and with 0 after it, so that such a
 * command is atomic. Unset (the default), connections run one at a time anyway. */
extern void (*server_exclusive)(int begin);

#endif
