/* webserver: the HTTP/1.1 server (docs/web.md), a user program of the vamos guest OS, behind
 * the VMM's TCP gateway (middleware/netserve/gwserve.c, docs/gateway.md).
 *
 * The same source is linked twice: with the file layer and the guest OSAL (its page cache and
 * its reads of the site volume in the guest, through the kernel's virtio-blk driver) or with
 * the stub (the file layer runs at the hypervisor level; each operation is one hypercall).
 * PLACEMENT names which.
 *
 * Usage: webserver [cache_pages [port]] */
#include <stdio.h>
#include <stdlib.h>
#include "vamos.h"
#include "osal.h"
#include "files.h"
#include "http.h"
#include "gwserve.h"

#ifndef PLACEMENT
#define PLACEMENT "guest"
#endif

/* The output of one web_handle call: a body goes out in pieces this large (one file read, or
 * in the vamos placement one hypercall, each). The stub's reads are at most 64 KiB - 4. */
#define OUT_CAP 49152

static unsigned char out[OUT_CAP];

static void *open_conn(void *ctx) { (void)ctx; return web_conn_new(); }
static int handle(void *c, const unsigned char *in, unsigned n, unsigned char *o, unsigned cap) { return web_handle(c, in, n, o, cap); }
static int closing(void *c) { return web_conn_closing(c); }
static void release(void *c) { web_conn_free(c); }

static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nServer: vamos-web\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

int main(int argc, char **argv) {
    unsigned pages = argc > 1 ? (unsigned)atoi(argv[1]) : 256;
    unsigned port = argc > 2 ? (unsigned)atoi(argv[2]) : 80;
    struct gw_app app;
    struct files_counters k;
    int sock, rc;
#ifndef VAMOS_STUB
    rc = osal_guest_open(0);
    if (rc < 0) {
        printf("webserver: no data disk (%d)\n", rc);
        return 1;
    }
#endif
    rc = files_mount(pages);
    if (rc < 0) {
        printf("webserver: cannot mount the site volume (%d): is it a vamos mksite volume?\n", rc);
        return 1;
    }
    sock = udp_bind(port);
    if (sock < 0) {
        printf("webserver: cannot bind udp port %u (%d)\n", port, sock);
        return 1;
    }
    printf("webserver: %s file layer, cache %u pages, udp port %u\n", PLACEMENT, pages, port);
    flush_output();
    app.ctx = 0; app.open = open_conn; app.handle = handle; app.closing = closing; app.release = release;
    app.busy = busy; app.lost = 0; app.out = out; app.cap = OUT_CAP;
    rc = gw_serve(&app, sock, port);
    files_get_counters(&k);
    printf("webserver: shut down; page cache %u hits, %u misses\n", k.hits, k.misses);
    return rc < 0 ? 2 : 0;
}
