/* net/udp.c: UDP (RFC 768) and the sockets of kernel.h. A socket is bound to one local port
 * and owned by the process that bound it. Datagrams for it are copied, in interrupt context,
 * into buffers of a fixed pool and queued on the socket (at most UDP_QUEUE each; beyond that,
 * or when the pool is empty, they are dropped and counted); udp_recv sleeps on the socket's
 * wait queue until one is there. Datagrams to 10.0.2.15 itself are looped back. */
#include <string.h>
#include "net.h"

#define UDP_SOCKETS    16
#define UDP_QUEUE      8
#define UDP_POOL       32
#define EPHEMERAL_BASE 49152u

struct dgram {
    struct dgram *next;
    uint32_t ip;
    unsigned port;
    unsigned len;
    uint8_t data[UDP_MAX_PAYLOAD];
};

struct sock {
    int used;
    unsigned port;
    struct proc *owner;
    struct dgram *head, *tail;
    unsigned queued;
    unsigned drops;
    struct waitq wq;
    uint8_t tx[ETH_MAX_FRAME];  /* the owner's frame being built: a process sends one at a time */
};

static struct sock socks[UDP_SOCKETS];
/* kernel.h: woken by every datagram delivered and every module-channel completion. Defined
 * here so that the network stack links without the channel (tests/os/net-harness.c). */
struct waitq io_wait;
static struct dgram pool[UDP_POOL];
static struct dgram *free_list;
static int ready;
static unsigned next_ephemeral = EPHEMERAL_BASE;

static void udp_setup(void) {
    unsigned i;
    for (i = 0; i < UDP_POOL; i++) {
        pool[i].next = free_list;
        free_list = &pool[i];
    }
    ready = 1;
}

/* Interrupts off. */
static struct sock *by_port(unsigned port) {
    unsigned i;
    for (i = 0; i < UDP_SOCKETS; i++)
        if (socks[i].used && socks[i].port == port) return &socks[i];
    return NULL;
}

static struct sock *mine(int sock) {
    if (sock < 0 || sock >= UDP_SOCKETS || !socks[sock].used || socks[sock].owner != current) return NULL;
    return &socks[sock];
}

/* A pointer into user space goes through the checked copies (the syscall layer may hand us
 * user pointers directly); kernel memory is below USER_BASE, or above USER_TOP (the kernel
 * stacks, where syscalls keep their locals). */
static int is_user(const void *p) { return current != NULL && (uint32_t)p >= USER_BASE && (uint32_t)p < USER_TOP; }

static int copy_out(void *dst, const void *src, unsigned len) {
    if (is_user(dst)) return copy_to_user(dst, src, len);
    memcpy(dst, src, len);
    return 0;
}

static int copy_in(void *dst, const void *src, unsigned len) {
    if (is_user(src)) return copy_from_user(dst, src, len);
    memcpy(dst, src, len);
    return 0;
}

static unsigned udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, unsigned len) {
    uint8_t pseudo[12];
    put32(pseudo, src);
    put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = IP_PROTO_UDP;
    put16(pseudo + 10, len);
    return ip_fold(ip_sum(udp, len, ip_sum(pseudo, 12, 0)));
}

void udp_input(uint32_t src, uint32_t dst, const uint8_t *p, unsigned len) {
    unsigned ulen;
    struct sock *s;
    struct dgram *d;
    /* Longer than an MTU's worth cannot come from a conforming sender (we drop fragments),
     * and would not fit a pool buffer. */
    if (len < UDP_HDR || (ulen = get16(p + 4)) < UDP_HDR || ulen > len || ulen - UDP_HDR > UDP_MAX_PAYLOAD) {
        netstack_stats.udp_bad_length++;
        return;
    }
    /* A zero checksum means the sender did not compute one. */
    if (get16(p + 6) != 0 && udp_checksum(src, dst, p, ulen) != 0) {
        netstack_stats.udp_bad_checksum++;
        return;
    }
    s = ready ? by_port(get16(p + 2)) : NULL;
    if (s == NULL) {
        netstack_stats.udp_no_port++;
        return;
    }
    if (s->queued >= UDP_QUEUE || free_list == NULL) {
        if (s->queued >= UDP_QUEUE) netstack_stats.udp_queue_full++;
        else netstack_stats.udp_no_buffer++;
        s->drops++;
        return;
    }
    d = free_list;
    free_list = d->next;
    d->next = NULL;
    d->ip = src;
    d->port = get16(p);
    d->len = ulen - UDP_HDR;
    memcpy(d->data, p + UDP_HDR, d->len);
    if (s->tail) s->tail->next = d;
    else s->head = d;
    s->tail = d;
    s->queued++;
    netstack_stats.udp_delivered++;
    wake_all(&s->wq);
    wake_all(&io_wait);     /* a process waiting on a module channel and this socket at once */
}

/* 1 when a datagram waits on the caller's socket (interrupts off). */
int udp_pending(int sock) {
    struct sock *s = mine(sock);
    return s != NULL && s->head != NULL;
}

int udp_bind(unsigned port) {
    unsigned st = irq_save();
    unsigned i, tries;
    int found = -1;
    if (!ready) udp_setup();
    if (port > 65535) {
        irq_restore(st);
        return -E_INVAL;
    }
    if (port == 0) {                          /* any free ephemeral port */
        for (tries = 0; tries < 65536u - EPHEMERAL_BASE && port == 0; tries++) {
            if (by_port(next_ephemeral) == NULL) port = next_ephemeral;
            next_ephemeral = next_ephemeral == 65535u ? EPHEMERAL_BASE : next_ephemeral + 1;
        }
    } else if (by_port(port)) {
        irq_restore(st);
        return -E_ADDRINUSE;
    }
    for (i = 0; i < UDP_SOCKETS && found < 0; i++)
        if (!socks[i].used) found = (int)i;
    if (found < 0 || port == 0) {
        irq_restore(st);
        return -E_NOSPC;
    }
    socks[found].used = 1;
    socks[found].port = port;
    socks[found].owner = current;
    socks[found].head = socks[found].tail = NULL;
    socks[found].queued = 0;
    socks[found].drops = 0;
    socks[found].wq.head = NULL;
    irq_restore(st);
    return found;
}

int udp_send(int sock, uint32_t ip, unsigned port, const void *buf, unsigned len) {
    struct sock *s = mine(sock);
    uint8_t *udp;
    unsigned sum, st;
    int r;
    if (s == NULL) return -E_BADF;
    if (len > UDP_MAX_PAYLOAD) return -E_MSGSIZE;
    if (port == 0 || port > 65535 || ip == 0) return -E_INVAL;
    udp = s->tx + ETH_HDR + IP_HDR;
    if (copy_in(udp + UDP_HDR, buf, len) < 0) return -E_FAULT;
    put16(udp, s->port);
    put16(udp + 2, port);
    put16(udp + 4, UDP_HDR + len);
    put16(udp + 6, 0);
    sum = udp_checksum(NET_GUEST_IP, ip, udp, UDP_HDR + len);
    put16(udp + 6, sum == 0 ? 0xFFFF : sum);  /* 0 would mean "no checksum" */
    if (ip == NET_GUEST_IP) {
        st = irq_save();
        udp_input(NET_GUEST_IP, NET_GUEST_IP, udp, UDP_HDR + len);
        irq_restore(st);
        netstack_stats.udp_sent++;
        return (int)len;
    }
    if (!net_present()) return -E_IO;
    r = ip_send(s->tx, ip, IP_PROTO_UDP, UDP_HDR + len);
    if (r < 0) return r;
    netstack_stats.udp_sent++;
    return (int)len;
}

int udp_recv(int sock, uint32_t *ip, unsigned *port, void *buf, unsigned len) {
    struct sock *s;
    struct dgram *d;
    unsigned st = irq_save();
    unsigned n;
    int bad;
    for (;;) {
        s = mine(sock);
        if (s == NULL) {
            irq_restore(st);
            return -E_BADF;
        }
        if (s->head) break;
        sleep_on(&s->wq);
    }
    d = s->head;
    s->head = d->next;
    if (s->head == NULL) s->tail = NULL;
    s->queued--;
    irq_restore(st);
    n = d->len < len ? d->len : len;
    bad = copy_out(buf, d->data, n) < 0;
    if (ip && copy_out(ip, &d->ip, sizeof d->ip) < 0) bad = 1;
    if (port && copy_out(port, &d->port, sizeof d->port) < 0) bad = 1;
    st = irq_save();
    d->next = free_list;
    free_list = d;
    irq_restore(st);
    return bad ? -E_FAULT : (int)n;
}

void udp_close_owned_by(struct proc *p) {
    unsigned st = irq_save();
    unsigned i;
    struct dgram *d;
    for (i = 0; i < UDP_SOCKETS; i++) {
        if (!socks[i].used || socks[i].owner != p) continue;
        while ((d = socks[i].head) != NULL) {
            socks[i].head = d->next;
            d->next = free_list;
            free_list = d;
        }
        socks[i].tail = NULL;
        socks[i].queued = 0;
        socks[i].used = 0;
        wake_all(&socks[i].wq);
    }
    irq_restore(st);
}
