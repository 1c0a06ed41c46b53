/* net/ip.c: IPv4 (RFC 791) for one interface: 10.0.2.15/24, everything off-link through the
 * fixed gateway 10.0.2.2. Received packets must carry a good header checksum, no options and
 * no fragmentation (we never fragment either), and our address as destination. */
#include <string.h>
#include "net.h"

#define IP_TTL 64

static unsigned ip_id;

uint32_t ip_sum(const void *data, unsigned len, uint32_t sum) {
    const uint8_t *p = data;
    while (len > 1) {
        sum += get16(p);
        p += 2;
        len -= 2;
    }
    if (len) sum += (uint32_t)p[0] << 8;
    return sum;
}

unsigned ip_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return ~sum & 0xFFFF;
}

void ip_input(const uint8_t *p, unsigned len) {
    unsigned total;
    if (len < IP_HDR || (p[0] >> 4) != 4) {
        netstack_stats.ip_bad_header++;
        return;
    }
    if ((p[0] & 15) != 5) {
        netstack_stats.ip_options++;
        return;
    }
    total = get16(p + 2);
    if (total < IP_HDR || total > len) {     /* len may include Ethernet padding */
        netstack_stats.ip_bad_header++;
        return;
    }
    if (ip_fold(ip_sum(p, IP_HDR, 0)) != 0) {
        netstack_stats.ip_bad_checksum++;
        return;
    }
    if ((get16(p + 6) & 0x3FFF) != 0) {      /* MF set or a fragment offset */
        netstack_stats.ip_fragments++;
        return;
    }
    if (get32(p + 16) != NET_GUEST_IP) {
        netstack_stats.ip_not_for_us++;
        return;
    }
    if (p[9] != IP_PROTO_UDP) {
        netstack_stats.ip_proto++;
        return;
    }
    udp_input(get32(p + 12), NET_GUEST_IP, p + IP_HDR, total - IP_HDR);
}

int ip_send(uint8_t *frame, uint32_t dst, unsigned proto, unsigned plen) {
    uint8_t *p = frame + ETH_HDR;
    uint8_t mac[6];
    uint32_t hop = (dst & NET_NETMASK) == (NET_GUEST_IP & NET_NETMASK) ? dst : NET_GATEWAY_IP;
    int r;
    unsigned st;
    if ((dst & ~NET_NETMASK) == ~NET_NETMASK || dst == 0xFFFFFFFFu || (dst >> 28) == 0xE)
        return -E_INVAL;                      /* no broadcast, no multicast */
    r = arp_resolve(hop, mac);
    if (r < 0) return r;
    p[0] = 0x45;
    p[1] = 0;
    put16(p + 2, IP_HDR + plen);
    st = irq_save();
    put16(p + 4, ip_id++);
    irq_restore(st);
    put16(p + 6, 0x4000);                     /* DF: we do not fragment */
    p[8] = IP_TTL;
    p[9] = (uint8_t)proto;
    put16(p + 10, 0);
    put32(p + 12, NET_GUEST_IP);
    put32(p + 16, dst);
    put16(p + 10, ip_fold(ip_sum(p, IP_HDR, 0)));
    return eth_send(frame, ETH_HDR + IP_HDR + plen, mac, ETHERTYPE_IP);
}
