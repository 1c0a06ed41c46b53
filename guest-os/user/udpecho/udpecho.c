/* udpecho: a UDP echo server (RFC 862). Binds port 7 (or argv[1]) and sends every datagram
 * back to where it came from; with argv[2] = N it exits 0 after N datagrams. */
#include <vamos.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char buf[2048];

int main(int argc, char **argv) {
    unsigned port = argc >= 2 ? (unsigned)strtoul(argv[1], NULL, 10) : 7;
    unsigned limit = argc >= 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    unsigned echoed = 0;
    int sock = udp_bind(port);
    if (sock < 0) {
        printf("udpecho: cannot bind port %u: %s\n", port, vamos_strerror(sock));
        return 1;
    }
    printf("udpecho: listening on port %u\n", port);
    while (limit == 0 || echoed < limit) {
        struct udp_addr from;
        int n = udp_recv(sock, &from, buf, sizeof buf);
        int r;
        if (n < 0) {
            printf("udpecho: receive failed: %s\n", vamos_strerror(n));
            return 1;
        }
        r = udp_send(sock, &from, buf, (unsigned)n);
        if (r < 0)
            printf("udpecho: cannot answer %u.%u.%u.%u:%u: %s\n", from.ip >> 24, (from.ip >> 16) & 255,
                   (from.ip >> 8) & 255, from.ip & 255, from.port, vamos_strerror(r));
        else
            echoed++;
    }
    printf("udpecho: echoed %u datagrams\n", echoed);
    return 0;
}
