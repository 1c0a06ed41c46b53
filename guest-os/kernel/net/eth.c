/* net/eth.c: bring-up and the Ethernet layer. Frames arrive from the virtio-net driver in
 * interrupt context (net_rx) and are dispatched by ethertype; frames leave through net_send. */
#include <stdio.h>
#include <string.h>
#include "net.h"

struct netstack_stats netstack_stats;
const uint8_t eth_broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static void net_rx(const uint8_t *frame, unsigned len) {
    const uint8_t *mac = net_mac();
    netstack_stats.rx_frames++;
    if (len < ETH_HDR) {
        netstack_stats.rx_short++;
        return;
    }
    if (memcmp(frame, mac, 6) != 0 && memcmp(frame, eth_broadcast, 6) != 0) {
        netstack_stats.rx_not_for_us++;
        return;
    }
    switch (get16(frame + 12)) {
    case ETHERTYPE_ARP: arp_input(frame + ETH_HDR, len - ETH_HDR); break;
    case ETHERTYPE_IP: ip_input(frame + ETH_HDR, len - ETH_HDR); break;
    default: netstack_stats.rx_ethertype++; break;
    }
}

int eth_send(uint8_t *frame, unsigned len, const uint8_t *dst_mac, unsigned ethertype) {
    int r;
    unsigned st;
    memcpy(frame, dst_mac, 6);
    memcpy(frame + 6, net_mac(), 6);
    put16(frame + 12, ethertype);
    if (len < ETH_MIN_FRAME) {
        memset(frame + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    /* With interrupts off, so that an ARP reply sent from the rx interrupt never re-enters
     * the driver in the middle of a send from process context. */
    st = irq_save();
    r = net_send(frame, len);
    if (r < 0) netstack_stats.tx_errors++;
    else netstack_stats.tx_frames++;
    irq_restore(st);
    return r;
}

void net_init(void) {
    const uint8_t *m;
    if (!net_present()) return;
    m = net_mac();
    net_set_rx(net_rx);
    printf("net: %u.%u.%u.%u/24 gateway %u.%u.%u.%u mac %02x:%02x:%02x:%02x:%02x:%02x\n",
           NET_GUEST_IP >> 24, (NET_GUEST_IP >> 16) & 255, (NET_GUEST_IP >> 8) & 255, NET_GUEST_IP & 255,
           NET_GATEWAY_IP >> 24, (NET_GATEWAY_IP >> 16) & 255, (NET_GATEWAY_IP >> 8) & 255, NET_GATEWAY_IP & 255,
           m[0], m[1], m[2], m[3], m[4], m[5]);
    /* Ask for the gateway now, so the first datagram out rarely waits for ARP. */
    arp_request(NET_GATEWAY_IP);
}
