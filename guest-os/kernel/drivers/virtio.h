/* virtio.h: the virtio-mmio transport and split virtqueues shared by virtio-blk and virtio-net
 * (virtio 1.x §4.2 virtio-mmio, §2.7 split virtqueues, §2.7.10 EVENT_IDX). Private to drivers/. */
#ifndef _VAMOS_VIRTIO_H
#define _VAMOS_VIRTIO_H

#include "kernel.h"

/* virtio-mmio registers (§4.2.2), byte offsets in the window. */
#define VIRTIO_MMIO_MAGIC           0x000
#define VIRTIO_MMIO_VERSION         0x004
#define VIRTIO_MMIO_DEVICE_ID       0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL       0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX   0x034
#define VIRTIO_MMIO_QUEUE_NUM       0x038
#define VIRTIO_MMIO_QUEUE_READY     0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY    0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK   0x064
#define VIRTIO_MMIO_STATUS          0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW  0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW  0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW  0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG          0x100
#define VIRTIO_MMIO_MAGIC_VALUE     0x74726976u

/* Device status (§2.1). */
#define VIRTIO_S_ACKNOWLEDGE  1
#define VIRTIO_S_DRIVER       2
#define VIRTIO_S_DRIVER_OK    4
#define VIRTIO_S_FEATURES_OK  8
#define VIRTIO_S_NEEDS_RESET  64
#define VIRTIO_S_FAILED       128

#define VIRTIO_INT_USED    1
#define VIRTIO_INT_CONFIG  2

#define VIRTIO_ID_NET    1
#define VIRTIO_ID_BLOCK  2
#define VIRTIO_ID_MODCHAN 0x564d   /* vendor: the module channel */

/* Feature bits (§6), as bit numbers. */
#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_EVENT_IDX       29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Split virtqueue (§2.7.5, §2.7.6, §2.7.8). */
#define VIRTQ_DESC_F_NEXT   1
#define VIRTQ_DESC_F_WRITE  2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

struct virtq_desc {
    uint32_t addr_lo;
    uint32_t addr_hi;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* The most descriptors a queue gets: the descriptor table, the available ring and the used ring
 * then each fit in one page (16*256, 6+2*256, 6+8*256 bytes). */
#define VQ_MAX_SIZE 256

struct virtio_dev;

struct vq {
    struct virtio_dev *dev;
    unsigned index;
    unsigned size;                /* power of two */
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail;     /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;      /* flags, idx, ring[size] of {u32 id, u32 len}, avail_event */
    uint16_t free_head;
    unsigned num_free;
    uint16_t avail_idx;           /* our copy of avail.idx */
    uint16_t kicked_idx;          /* avail.idx at the last notification decision */
    uint16_t last_used;           /* the next used entry we will read */
    void **cookie;                /* per head: what the chain was for */
    unsigned kicks, kicks_suppressed;
};

/* One buffer of a chain: a bus address (from dma_map) and whether the device writes it. */
struct vq_buf {
    uint32_t bus;
    unsigned len;
    int write;
};

struct virtio_dev {
    unsigned slot;                /* index in boot_info->devices */
    unsigned device_id;           /* 1 net, 2 block */
    unsigned source_id;           /* IOMMU device id */
    unsigned irq;
    uint32_t base;                /* MMIO window */
    uint32_t features_lo, features_hi;   /* negotiated */
    int event_idx;
    unsigned nqueues;
    struct vq vqs[2];
    /* Called from the interrupt handler when queue `q` may have used entries. */
    void (*on_used)(struct virtio_dev *dev, struct vq *q);
    void *priv;
    int broken;                   /* NEEDS_RESET seen: no more requests */
};

uint32_t virtio_read(struct virtio_dev *d, unsigned off);
void virtio_write(struct virtio_dev *d, unsigned off, uint32_t v);
uint8_t virtio_config8(struct virtio_dev *d, unsigned off);
uint32_t virtio_config32(struct virtio_dev *d, unsigned off);
uint64_t virtio_config64(struct virtio_dev *d, unsigned off);
int virtio_has(struct virtio_dev *d, unsigned bit);

/* Reset, ACKNOWLEDGE, DRIVER, negotiate (want: the device-type feature bits 0..23 to accept if
 * offered), FEATURES_OK. 0, or -E_IO after setting FAILED (the message is printed). */
int virtio_init(struct virtio_dev *d, const struct boot_device *bd, unsigned slot, uint32_t want, const char *name);
/* Sets up queue `index` with at most `max` entries; 0 or -E_*. */
int virtio_setup_queue(struct virtio_dev *d, unsigned index, unsigned max);
/* DRIVER_OK and the interrupt handler. */
void virtio_ready(struct virtio_dev *d);

/* Call with interrupts disabled. Adds a chain of n buffers (readable ones first); returns the
 * head, or -1 when fewer than n descriptors are free. */
int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned n, void *cookie);
/* Notifies the device of new chains unless it asked not to be (EVENT_IDX avail_event or
 * VIRTQ_USED_F_NO_NOTIFY). Returns 1 if it wrote QueueNotify. */
int vq_kick(struct vq *q);
/* The next used chain: its cookie (NULL when none) and the bytes the device wrote. Its
 * descriptors are freed. */
void *vq_get_used(struct vq *q, unsigned *len);
/* Ask for an interrupt at the next completion; returns 1 if completions arrived meanwhile (the
 * caller drains again). */
int vq_enable_cb(struct vq *q);
/* Ask for an interrupt only after about 3/4 of the chains in flight have completed. */
int vq_enable_cb_delayed(struct vq *q);
/* Ask for no interrupts (a hint: with EVENT_IDX the event is put half the index space away). */
void vq_disable_cb(struct vq *q);
unsigned vq_in_flight(struct vq *q);

/* The device drivers' probes (drivers.c calls them for each boot_info device). */
void virtio_blk_probe(const struct boot_device *bd, unsigned slot);
void virtio_net_probe(const struct boot_device *bd, unsigned slot);
void virtio_modchan_probe(const struct boot_device *bd, unsigned slot);
void blk_stats(struct blkdev *b, unsigned *submitted, unsigned *completed, unsigned *max_in_flight,
               unsigned *kicks, unsigned *suppressed);
int blk_index(struct blkdev *b);

#endif
