/* virtio_net.c: virtio-net (virtio 1.x §5.1): receive queue 0 kept full of 2 KiB buffers, transmit
 * queue 1 fed from a pool of 2 KiB buffers. Every frame carries the 12-byte virtio_net_hdr
 * (VERSION_1 always has num_buffers, §5.1.6); no offloads are negotiated, so it is all zero on
 * transmit and ignored on receive.
 *
 * Each buffer is mapped through the DMA API while the device owns it and unmapped when it comes
 * back, as Linux does per packet: that is the traffic whose IOTLB invalidations the IOMMU modes
 * differ in. Transmit completions are reclaimed lazily, at the next send, and interrupts for
 * them are asked for only when the queue is filling up (vq_enable_cb_delayed). */
#include "virtio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_QUEUE_SIZE 64
#define NET_BUF        2048
#define NET_HDR        12
#define NET_MAX_FRAME  (NET_BUF - NET_HDR)
#define VIRTIO_NET_F_MAC 5
#define RXQ 0
#define TXQ 1

struct netbuf {
    uint8_t *va;
    uint32_t bus;
    unsigned len;
    struct netbuf *next;          /* transmit free list */
};

static struct virtio_dev nd;
static int present;
static uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static net_rx_t rx_cb;
static struct netbuf rxb[NET_QUEUE_SIZE], txb[NET_QUEUE_SIZE];
static struct netbuf *tx_free;
static unsigned rx_frames, tx_frames, tx_busy;
/* Sends that found the transmit ring full and slept until the device handed buffers back. */
static unsigned tx_waits;
static struct waitq tx_room;

int net_present(void) { return present; }
const uint8_t *net_mac(void) { return mac; }
void net_set_rx(net_rx_t rx) { rx_cb = rx; }

static void rx_post(struct netbuf *b) {
    struct vq_buf vb;
    b->bus = dma_map(nd.source_id, b->va, NET_BUF, DMA_FROM_DEVICE);
    vb.bus = b->bus;
    vb.len = NET_BUF;
    vb.write = 1;
    vq_add(&nd.vqs[RXQ], &vb, 1, b);
}

static void tx_reclaim(void) {
    struct netbuf *b;
    unsigned len;
    while ((b = vq_get_used(&nd.vqs[TXQ], &len)) != NULL) {
        dma_unmap(nd.source_id, b->bus, b->len);
        b->next = tx_free;
        tx_free = b;
    }
}

/* Interrupt handler: hands each received frame to the stack, reposts its buffer, kicks once. */
static void net_used(struct virtio_dev *d, struct vq *q) {
    struct netbuf *b;
    unsigned len;
    int starved = 0;
    if (d->broken) return;
    if (q->index == TXQ) {
        tx_reclaim();
        vq_disable_cb(q);
        wake_all(&tx_room);
        return;
    }
    do {
        while ((b = vq_get_used(q, &len)) != NULL) {
            if (vq_in_flight(q) == 0) starved = 1;
            dma_unmap(nd.source_id, b->bus, NET_BUF);
            if (len > NET_HDR && len <= NET_BUF) {
                rx_frames++;
                if (rx_cb != NULL) rx_cb(b->va + NET_HDR, len - NET_HDR);
            }
            rx_post(b);
        }
    } while (vq_enable_cb(q));
    /* The device asks for no receive notifications (it never drains the receive queue, so
     * avail_event stays put); but if it ran out of buffers it may hold frames back until told
     * that new ones are posted. */
    if (!vq_kick(q) && starved) virtio_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
}

int net_send(const void *frame, unsigned len) {
    struct netbuf *b;
    struct vq_buf vb;
    struct vq *q;
    unsigned s;
    if (!present) return -E_NOSYS;
    if (len == 0 || len > NET_MAX_FRAME) return -E_MSGSIZE;
    s = irq_save();
    if (nd.broken) {
        irq_restore(s);
        return -E_IO;
    }
    q = &nd.vqs[TXQ];
    for (;;) {
        tx_reclaim();
        if (tx_free != NULL) break;
        /* The device hands buffers back with its used interrupt, which this asks for. */
        vq_enable_cb_delayed(q);
        tx_reclaim();                       /* any that came back before the request */
        if (tx_free != NULL) break;
        if (!may_sleep() || nd.broken) {
            tx_busy++;
            irq_restore(s);
            return -E_BUSY;
        }
        tx_waits++;
        sleep_on(&tx_room);
    }
    b = tx_free;
    tx_free = b->next;
    memset(b->va, 0, NET_HDR);
    memcpy(b->va + NET_HDR, frame, len);
    b->len = NET_HDR + len;
    b->bus = dma_map(nd.source_id, b->va, b->len, DMA_TO_DEVICE);
    vb.bus = b->bus;
    vb.len = b->len;
    vb.write = 0;
    if (vq_add(q, &vb, 1, b) < 0) {         /* a ring smaller than the buffer pool */
        dma_unmap(nd.source_id, b->bus, b->len);
        b->next = tx_free;
        tx_free = b;
        tx_busy++;
        irq_restore(s);
        return -E_BUSY;
    }
    tx_frames++;
    vq_kick(q);
    /* Reclaim at the next send; an interrupt only if the ring is more than half full. */
    if (vq_in_flight(q) > q->size / 2) vq_enable_cb_delayed(q);
    else vq_disable_cb(q);
    irq_restore(s);
    return 0;
}

void virtio_net_probe(const struct boot_device *bd, unsigned slot) {
    unsigned i;
    struct vq *rq;
    if (present) {
        printf("virtio-net: a second network device in slot %u is not supported; skipped\n", slot);
        return;
    }
    if (virtio_init(&nd, bd, slot, 1u << VIRTIO_NET_F_MAC, "virtio-net0") != 0) return;
    nd.on_used = net_used;
    if (virtio_setup_queue(&nd, RXQ, NET_QUEUE_SIZE) != 0 || virtio_setup_queue(&nd, TXQ, NET_QUEUE_SIZE) != 0) {
        printf("virtio-net0: queue setup failed; device skipped\n");
        virtio_write(&nd, VIRTIO_MMIO_STATUS, virtio_read(&nd, VIRTIO_MMIO_STATUS) | VIRTIO_S_FAILED);
        return;
    }
    if (virtio_has(&nd, VIRTIO_NET_F_MAC))
        for (i = 0; i < 6; i++) mac[i] = virtio_config8(&nd, i);
    /* Two 2 KiB buffers per page, for each queue. */
    for (i = 0; i < NET_QUEUE_SIZE; i++) {
        if ((i & 1) == 0) {
            uint32_t r = page_alloc(), t = page_alloc();
            if (r == 0 || t == 0) {
                printf("virtio-net0: out of memory; device skipped\n");
                return;
            }
            rxb[i].va = (uint8_t *)r;
            txb[i].va = (uint8_t *)t;
        } else {
            rxb[i].va = rxb[i - 1].va + NET_BUF;
            txb[i].va = txb[i - 1].va + NET_BUF;
        }
        txb[i].next = tx_free;
        tx_free = &txb[i];
    }
    rq = &nd.vqs[RXQ];
    for (i = 0; i < rq->size; i++) rx_post(&rxb[i]);
    vq_enable_cb(rq);
    vq_disable_cb(&nd.vqs[TXQ]);
    virtio_ready(&nd);
    vq_kick(rq);
    present = 1;
    printf("virtio-net0: mac %02x:%02x:%02x:%02x:%02x:%02x, slot %u\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], slot);
}

/* For the self-test and statistics. */
void virtio_net_stats(unsigned *rx, unsigned *tx, unsigned *busy) {
    *rx = rx_frames;
    *tx = tx_frames;
    *busy = tx_busy;
}
