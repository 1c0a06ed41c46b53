/* net/arp.c: ARP for IPv4 over Ethernet (RFC 826). We answer requests for our address and
 * keep a small cache of the neighbours we heard from (requests addressed to us, replies);
 * a sender wanting an unknown neighbour asks with a broadcast request and waits a little. */
#include <string.h>
#include "net.h"

#define ARP_LEN        28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2
#define ARP_CACHE      8
#define ARP_TRIES      3
#define ARP_WAIT_MS    100      /* per try, in 1 ms steps */

struct arp_entry {
    uint32_t ip;                /* 0: free */
    uint8_t mac[6];
};

static struct arp_entry cache[ARP_CACHE];
static unsigned next_victim;
static uint8_t reply_frame[ETH_MIN_FRAME];      /* interrupt context only */
static uint8_t request_frame[ETH_MIN_FRAME];    /* used with interrupts off */

/* Interrupts must be off: the rx path updates the cache too. */
static struct arp_entry *lookup(uint32_t ip) {
    unsigned i;
    for (i = 0; i < ARP_CACHE; i++)
        if (cache[i].ip == ip) return &cache[i];
    return NULL;
}

static void remember(uint32_t ip, const uint8_t *mac, int create) {
    struct arp_entry *e = lookup(ip);
    unsigned i;
    if (e == NULL) {
        if (!create) return;
        for (i = 0; i < ARP_CACHE && e == NULL; i++)
            if (cache[i].ip == 0) e = &cache[i];
        if (e == NULL) {
            e = &cache[next_victim];
            next_victim = (next_victim + 1) % ARP_CACHE;
        }
        e->ip = ip;
    }
    memcpy(e->mac, mac, 6);
}

/* Writes an ARP packet into frame + ETH_HDR. */
static void build(uint8_t *frame, unsigned op, const uint8_t *tha, uint32_t tpa) {
    uint8_t *p = frame + ETH_HDR;
    put16(p, 1);                /* hardware: Ethernet */
    put16(p + 2, ETHERTYPE_IP);
    p[4] = 6;
    p[5] = 4;
    put16(p + 6, op);
    memcpy(p + 8, net_mac(), 6);
    put32(p + 14, NET_GUEST_IP);
    memcpy(p + 18, tha, 6);
    put32(p + 24, tpa);
}

void arp_input(const uint8_t *p, unsigned len) {
    unsigned op;
    uint32_t spa, tpa;
    if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETHERTYPE_IP || p[4] != 6 || p[5] != 4) {
        netstack_stats.arp_bad++;
        return;
    }
    op = get16(p + 6);
    spa = get32(p + 14);
    tpa = get32(p + 24);
    /* RFC 826: refresh a known sender; learn it when the packet is for us. */
    if (spa != 0) remember(spa, p + 8, tpa == NET_GUEST_IP);
    if (tpa != NET_GUEST_IP) return;
    if (op == ARP_OP_REQUEST) {
        build(reply_frame, ARP_OP_REPLY, p + 8, spa);
        eth_send(reply_frame, ETH_HDR + ARP_LEN, p + 8, ETHERTYPE_ARP);
        netstack_stats.arp_requests_answered++;
    } else if (op == ARP_OP_REPLY) {
        netstack_stats.arp_replies++;
    }
}

void arp_request(uint32_t ip) {
    static const uint8_t zero[6];
    unsigned st = irq_save();
    build(request_frame, ARP_OP_REQUEST, zero, ip);
    eth_send(request_frame, ETH_HDR + ARP_LEN, eth_broadcast, ETHERTYPE_ARP);
    netstack_stats.arp_requests_sent++;
    irq_restore(st);
}

static int cached(uint32_t ip, uint8_t *mac) {
    unsigned st = irq_save();
    struct arp_entry *e = lookup(ip);
    if (e) memcpy(mac, e->mac, 6);
    irq_restore(st);
    return e != NULL;
}

int arp_resolve(uint32_t ip, uint8_t *mac) {
    unsigned t, ms;
    if (ip == 0) return -E_INVAL;
    if (cached(ip, mac)) return 0;
    for (t = 0; t < ARP_TRIES; t++) {
        arp_request(ip);
        for (ms = 0; ms < ARP_WAIT_MS; ms++) {
            if (cached(ip, mac)) return 0;   /* the reply may be in already */
            sleep_ms(1);
        }
    }
    netstack_stats.arp_unresolved++;
    return -E_IO;
}
