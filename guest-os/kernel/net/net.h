/* net/net.h: internals of the kernel's UDP/IPv4 stack (docs/guest-user.md, "The net stack").
 * The public API is kernel.h's net section. Packets are parsed and built byte by byte in
 * network order (big-endian), so nothing depends on struct layout or alignment. */
#ifndef _VAMOS_NET_H
#define _VAMOS_NET_H

#include "kernel.h"

#define ETH_HDR       14
#define ETH_MIN_FRAME 60          /* without the FCS: shorter frames are padded */
#define ETH_MTU       1500
#define ETH_MAX_FRAME (ETH_HDR + ETH_MTU)
#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_ARP 0x0806
#define IP_HDR        20
#define IP_PROTO_UDP  17
#define UDP_HDR       8
#define UDP_MAX_PAYLOAD (ETH_MTU - IP_HDR - UDP_HDR)   /* 1472: we never fragment */

/* Why packets were dropped (and what went through), for tests and debugging. */
struct netstack_stats {
    unsigned rx_frames, tx_frames, tx_errors;
    unsigned rx_short, rx_not_for_us, rx_ethertype;     /* ethernet */
    unsigned arp_requests_answered, arp_replies, arp_requests_sent, arp_unresolved, arp_bad;
    unsigned ip_bad_header, ip_bad_checksum, ip_options, ip_fragments, ip_not_for_us, ip_proto;
    unsigned udp_bad_length, udp_bad_checksum, udp_no_port, udp_queue_full, udp_no_buffer;
    unsigned udp_delivered, udp_sent;
};
extern struct netstack_stats netstack_stats;

static inline unsigned get16(const uint8_t *p) { return ((unsigned)p[0] << 8) | p[1]; }
static inline uint32_t get32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* eth.c */
extern const uint8_t eth_broadcast[6];
/* Fills in the Ethernet header of frame (len bytes including it), pads and sends it. */
int eth_send(uint8_t *frame, unsigned len, const uint8_t *dst_mac, unsigned ethertype);

/* arp.c */
void arp_input(const uint8_t *pkt, unsigned len);         /* interrupt context */
void arp_request(uint32_t ip);
/* The MAC of an on-link address: from the cache, else after an ARP exchange (process
 * context: blocks up to ~300 ms of virtual time). 0 or -E_IO when nobody answered. */
int arp_resolve(uint32_t ip, uint8_t *mac);

/* ip.c */
uint32_t ip_sum(const void *data, unsigned len, uint32_t sum);   /* ones'-complement partial sum */
unsigned ip_fold(uint32_t sum);                                   /* final 16-bit checksum */
void ip_input(const uint8_t *pkt, unsigned len);           /* interrupt context */
/* Sends an IPv4 packet whose payload (plen bytes) is at frame + ETH_HDR + IP_HDR. */
int ip_send(uint8_t *frame, uint32_t dst, unsigned proto, unsigned plen);

/* udp.c */
void udp_input(uint32_t src, uint32_t dst, const uint8_t *pkt, unsigned len);   /* interrupt context */

#endif
