/* net-harness.c: runs the kernel's net stack (guest-os/kernel/net/) alone, as a hosted vamos
 * program, for tests/os/net-stack.test.ts. The test prepends the frames to receive (RX_DATA,
 * RX_LEN, RX_COUNT; a zero-length frame separates batches) and a scenario function. This file
 * stands in for the rest of the kernel: the driver's net_send prints each frame as a
 * `TX <hex>` line, and whenever the stack waits (sleep_on, sleep_ms) the next batch of frames
 * is delivered through the rx callback. When the stack waits with no frame left, the harness
 * prints the stack's counters as `STATS name=value ...` and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"
#include "net.h"

struct proc *current;
static net_rx_t rx_cb;
static const uint8_t our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static unsigned rx_next, rx_off;
static unsigned long long now_ms;

int net_present(void) { return 1; }
const uint8_t *net_mac(void) { return our_mac; }
void net_set_rx(net_rx_t rx) { rx_cb = rx; }

int net_send(const void *frame, unsigned len) {
    const uint8_t *p = frame;
    unsigned i;
    printf("TX ");
    for (i = 0; i < len; i++) printf("%02x", p[i]);
    printf("\n");
    return 0;
}

unsigned irq_save(void) { return 1; }
void irq_restore(unsigned state) { (void)state; }
void wake_all(struct waitq *wq) { (void)wq; }
int copy_from_user(void *dst, const void *src, unsigned len) { (void)dst; (void)src; (void)len; return -E_FAULT; }
int copy_to_user(void *dst, const void *src, unsigned len) { (void)dst; (void)src; (void)len; return -E_FAULT; }

static void stats(void) {
    const struct netstack_stats *s = &netstack_stats;
    printf("STATS rx_frames=%u tx_frames=%u rx_short=%u rx_not_for_us=%u rx_ethertype=%u", s->rx_frames,
           s->tx_frames, s->rx_short, s->rx_not_for_us, s->rx_ethertype);
    printf(" arp_requests_answered=%u arp_replies=%u arp_requests_sent=%u arp_unresolved=%u arp_bad=%u",
           s->arp_requests_answered, s->arp_replies, s->arp_requests_sent, s->arp_unresolved, s->arp_bad);
    printf(" ip_bad_header=%u ip_bad_checksum=%u ip_options=%u ip_fragments=%u ip_not_for_us=%u ip_proto=%u",
           s->ip_bad_header, s->ip_bad_checksum, s->ip_options, s->ip_fragments, s->ip_not_for_us, s->ip_proto);
    printf(" udp_bad_length=%u udp_bad_checksum=%u udp_no_port=%u udp_queue_full=%u udp_no_buffer=%u",
           s->udp_bad_length, s->udp_bad_checksum, s->udp_no_port, s->udp_queue_full, s->udp_no_buffer);
    printf(" udp_delivered=%u udp_sent=%u ms=%llu\n", s->udp_delivered, s->udp_sent, now_ms);
}

/* Delivers the next batch; returns 0 when there was none. */
static int pump(void) {
    if (rx_next >= RX_COUNT) return 0;
    while (rx_next < RX_COUNT) {
        unsigned len = RX_LEN[rx_next++];
        const uint8_t *f = RX_DATA + rx_off;
        rx_off += len;
        if (len == 0) break;
        if (rx_cb) rx_cb(f, len);
    }
    return 1;
}

void sleep_on(struct waitq *wq) {
    (void)wq;
    if (!pump()) {
        stats();
        exit(0);
    }
}

void sleep_ms(unsigned ms) {
    now_ms += ms;
    pump();
}

static void scenario(void);

int main(void) {
    net_init();
    scenario();
    stats();
    return 0;
}
