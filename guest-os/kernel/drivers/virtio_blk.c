/* virtio_blk.c: virtio-blk (virtio 1.x §5.2), interrupt driven, several requests in flight.
 *
 * A blk_req becomes one or more virtio requests ("chains") of at most BLK_PART_SECTORS each:
 * header (device-readable), data, status byte (device-writable), each mapped through the DMA API
 * while the chain is in flight and unmapped by the interrupt handler when it completes. A
 * `struct blk_ctx` counts the chains of one blk_req still out; the submitter holds one count of
 * its own until every chain is queued, so a request cannot complete while it is still being
 * split. blk_submit adds every chain and then kicks once, so a large transfer costs one
 * notification (and with EVENT_IDX none at all while the device has not caught up).
 * Everything that touches a queue runs with interrupts off (irq_save). */
#include "virtio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK_MAX_DEVS     VIRTIO_MMIO_SLOTS
#define BLK_QUEUE_SIZE   128
#define BLK_PART_SECTORS 128            /* 64 KiB per virtio request */
#define BLK_SECTOR       512

#define VIRTIO_BLK_F_RO    5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4

struct blk_ctx {
    struct blk_req *req;
    unsigned parts;                     /* chains in flight + 1 while blk_submit runs */
    int status;
    struct blk_ctx *next;               /* free list */
};

/* One virtio request. 64 bytes; header and status are what the device reads and writes. */
struct blk_chain {
    uint32_t type, reserved, sector_lo, sector_hi;   /* struct virtio_blk_req header (§5.2.6) */
    uint8_t status, raw, pad[2];          /* raw: data_bus was given, not mapped here */
    struct blk_ctx *ctx;
    uint32_t hdr_bus, data_bus, status_bus;
    unsigned data_len;
    struct blk_chain *next;             /* free list */
    uint32_t pad2[5];
};

struct blkdev {
    struct virtio_dev vd;
    int index;
    uint32_t sectors;
    int read_only, can_flush;
    struct blk_chain *free_chains;
    struct blk_ctx *free_ctxs;
    struct waitq space;                 /* submitters waiting for descriptors or contexts */
    unsigned submitted, completed, max_in_flight;
};

static struct blkdev *devs[BLK_MAX_DEVS];
static int ndevs;
static int nseen;                       /* virtio-blk devices probed, usable or not: their names */

int blk_count(void) { return ndevs; }
struct blkdev *blk_get(int index) { return index >= 0 && index < ndevs ? devs[index] : NULL; }
uint32_t blk_sectors(struct blkdev *dev) { return dev->sectors; }
int blk_read_only(struct blkdev *dev) { return dev->read_only; }

static void finish(struct blk_req *req, int status) {
    req->status = status;
    req->done = 1;
    wake_all(&req->wq);
}

/* Drops one count of ctx; the last one completes its blk_req. Interrupts off. */
static void ctx_put(struct blkdev *b, struct blk_ctx *ctx) {
    if (--ctx->parts != 0) return;
    finish(ctx->req, ctx->status);
    ctx->next = b->free_ctxs;
    b->free_ctxs = ctx;
    wake_all(&b->space);
}

static void chain_done(struct blkdev *b, struct blk_chain *ch, int ok) {
    unsigned sid = b->vd.source_id;
    dma_unmap(sid, ch->hdr_bus, 16);
    if (ch->data_len != 0 && !ch->raw) dma_unmap(sid, ch->data_bus, ch->data_len);
    dma_unmap(sid, ch->status_bus, 1);
    if (!ok || ch->status != 0) ch->ctx->status = -E_IO;
    b->completed++;
    ctx_put(b, ch->ctx);
    ch->next = b->free_chains;
    b->free_chains = ch;
}

/* Interrupt handler (virtio.c calls it): completes every used chain, then asks for an
 * interrupt at the next completion, draining again if one slipped in meanwhile. */
static void blk_used(struct virtio_dev *d, struct vq *q) {
    struct blkdev *b = d->priv;
    struct blk_chain *ch;
    unsigned len, i;
    if (d->broken) {
        /* The device gave up: fail everything still out so that no one waits forever. */
        for (i = 0; i < q->size; i++) {
            ch = q->cookie[i];
            if (ch == NULL) continue;
            q->cookie[i] = NULL;
            chain_done(b, ch, 0);
        }
        return;
    }
    do {
        while ((ch = vq_get_used(q, &len)) != NULL) chain_done(b, ch, 1);
    } while (vq_enable_cb(q));
    wake_all(&b->space);
}

/* Queues one chain for ctx; waits (kicking first, so the device can make progress) while the
 * queue is full. Interrupts off. 0 or -E_IO when the device broke meanwhile. */
static int add_chain(struct blkdev *b, struct blk_ctx *ctx, int type, uint32_t sector, void *data, unsigned len,
                     uint32_t raw_bus) {
    struct vq *q = &b->vd.vqs[0];
    struct blk_chain *ch;
    struct vq_buf bufs[3];
    unsigned n = 0, sid = b->vd.source_id;
    while (!b->vd.broken && (b->free_chains == NULL || q->num_free < 3)) {
        vq_kick(q);
        sleep_on(&b->space);
    }
    if (b->vd.broken) return -E_IO;
    ch = b->free_chains;
    b->free_chains = ch->next;
    ch->type = (uint32_t)type;
    ch->reserved = 0;
    ch->sector_lo = sector;
    ch->sector_hi = 0;
    ch->status = 0xff;
    ch->ctx = ctx;
    ch->data_len = len;
    ch->raw = raw_bus != 0;
    ch->hdr_bus = dma_map(sid, &ch->type, 16, DMA_TO_DEVICE);
    bufs[n].bus = ch->hdr_bus; bufs[n].len = 16; bufs[n].write = 0; n++;
    if (len != 0) {
        ch->data_bus = raw_bus != 0 ? raw_bus : dma_map(sid, data, len, type == VIRTIO_BLK_T_IN ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
        bufs[n].bus = ch->data_bus; bufs[n].len = len; bufs[n].write = type == VIRTIO_BLK_T_IN; n++;
    }
    ch->status_bus = dma_map(sid, &ch->status, 1, DMA_FROM_DEVICE);
    bufs[n].bus = ch->status_bus; bufs[n].len = 1; bufs[n].write = 1; n++;
    vq_add(q, bufs, n, ch);
    ctx->parts++;
    b->submitted++;
    if (vq_in_flight(q) > b->max_in_flight) b->max_in_flight = vq_in_flight(q);
    return 0;
}

static int submit(struct blk_req *req, uint32_t raw_bus) {
    struct blkdev *b = req->dev;
    struct blk_ctx *ctx;
    unsigned s, done = 0;
    req->done = 0;
    req->status = 0;
    req->wq.head = NULL;
    if (b == NULL || req->write < 0 || req->write > 2) {
        finish(req, -E_INVAL);
        return -E_INVAL;
    }
    if (req->write == 1 && b->read_only) {
        finish(req, -E_IO);
        return -E_IO;
    }
    if (req->write != 2 && (req->sector > b->sectors || req->count > b->sectors - req->sector)) {
        finish(req, -E_IO);
        return -E_IO;
    }
    if ((req->write == 2 && !b->can_flush) || (req->write != 2 && req->count == 0)) {
        finish(req, 0);                 /* nothing to do: a disk without FLUSH has no cache */
        return 0;
    }
    s = irq_save();
    while (!b->vd.broken && b->free_ctxs == NULL) sleep_on(&b->space);
    if (b->vd.broken) {
        irq_restore(s);
        finish(req, -E_IO);
        return -E_IO;
    }
    ctx = b->free_ctxs;
    b->free_ctxs = ctx->next;
    ctx->req = req;
    ctx->parts = 1;                     /* ours, until every chain is queued */
    ctx->status = 0;
    if (req->write == 2) {
        if (add_chain(b, ctx, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0) != 0) ctx->status = -E_IO;
    } else {
        while (done < req->count) {
            unsigned n = req->count - done;
            if (n > BLK_PART_SECTORS) n = BLK_PART_SECTORS;
            if (add_chain(b, ctx, req->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, req->sector + done,
                          (uint8_t *)req->buf + done * BLK_SECTOR, n * BLK_SECTOR, raw_bus) != 0) {
                ctx->status = -E_IO;
                break;
            }
            done += n;
        }
    }
    vq_kick(&b->vd.vqs[0]);
    ctx_put(b, ctx);
    irq_restore(s);
    return 0;
}

int blk_submit(struct blk_req *req) {
    return submit(req, 0);
}

#ifdef DRIVERS_SELFTEST
/* A read whose data buffer is the bus address `bus`, unmapped by us: the self-test points it at
 * an IOVA that was never mapped, to see the IOMMU fault, the fault handler and the -E_IO. */
int blk_read_raw(struct blkdev *dev, uint32_t sector, uint32_t bus, unsigned count) {
    struct blk_req r;
    memset(&r, 0, sizeof r);
    r.dev = dev;
    r.sector = sector;
    r.count = count;
    submit(&r, bus);
    return blk_wait(&r);
}

/* Makes the device give up: an available-ring entry naming a head past the queue, which the
 * device cannot walk (DEVICE_NEEDS_RESET, docs/virtio.md "Malformed chains"). */
void blk_break(struct blkdev *b) {
    struct vq *q = &b->vd.vqs[0];
    unsigned s = irq_save();
    q->avail[2 + (q->avail_idx & (q->size - 1))] = (uint16_t)q->size;
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    virtio_write(&b->vd, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    irq_restore(s);
}
#endif

int blk_wait(struct blk_req *req) {
    unsigned s = irq_save();
    while (!req->done) sleep_on(&req->wq);
    irq_restore(s);
    return req->status;
}

static int blk_sync(struct blkdev *dev, int write, uint32_t sector, void *buf, unsigned count) {
    struct blk_req r;
    memset(&r, 0, sizeof r);
    r.dev = dev;
    r.write = write;
    r.sector = sector;
    r.buf = buf;
    r.count = count;
    blk_submit(&r);
    return blk_wait(&r);
}

int blk_read(struct blkdev *dev, uint32_t sector, void *buf, unsigned count) {
    return blk_sync(dev, 0, sector, buf, count);
}

int blk_write(struct blkdev *dev, uint32_t sector, const void *buf, unsigned count) {
    return blk_sync(dev, 1, sector, (void *)buf, count);
}

int blk_flush(struct blkdev *dev) {
    return blk_sync(dev, 2, 0, NULL, 0);
}

/* drivers_init: one virtio-blk device. */
void virtio_blk_probe(const struct boot_device *bd, unsigned slot) {
    struct blkdev *b;
    char name[16];
    uint64_t cap;
    unsigned i, nchains;
    uint32_t page;
    /* Named like the VMM names them (the Nth block device in slot order), so console lines and
     * exit tables agree even when an earlier device was skipped. */
    int seen = nseen++;
    if (ndevs == BLK_MAX_DEVS) return;
    b = malloc(sizeof *b);
    if (b == NULL) return;
    memset(b, 0, sizeof *b);
    b->index = seen;
    snprintf(name, sizeof name, "virtio-blk%d", seen);
    if (virtio_init(&b->vd, bd, slot, (1u << VIRTIO_BLK_F_RO) | (1u << VIRTIO_BLK_F_FLUSH), name) != 0) {
        free(b);
        return;
    }
    b->vd.priv = b;
    b->vd.on_used = blk_used;
    if (virtio_setup_queue(&b->vd, 0, BLK_QUEUE_SIZE) != 0) {
        printf("%s: queue setup failed; device skipped\n", name);
        virtio_write(&b->vd, VIRTIO_MMIO_STATUS, virtio_read(&b->vd, VIRTIO_MMIO_STATUS) | VIRTIO_S_FAILED);
        free(b);
        return;
    }
    cap = virtio_config64(&b->vd, 0);
    b->sectors = cap > 0xffffffffull ? 0xffffffffu : (uint32_t)cap;
    b->read_only = virtio_has(&b->vd, VIRTIO_BLK_F_RO);
    b->can_flush = virtio_has(&b->vd, VIRTIO_BLK_F_FLUSH);
    /* A chain takes at least two descriptors (flush) and at most three. 64 chains of 64 bytes
     * fill one page; the contexts are as many. */
    nchains = b->vd.vqs[0].size / 2;
    if (nchains > PAGE_SIZE / sizeof(struct blk_chain)) nchains = PAGE_SIZE / sizeof(struct blk_chain);
    page = page_alloc();
    b->free_ctxs = NULL;
    if (page != 0) {
        struct blk_chain *chains = (struct blk_chain *)page;
        struct blk_ctx *ctxs = malloc(nchains * sizeof(struct blk_ctx));
        if (ctxs == NULL) page = 0;
        else {
            for (i = 0; i < nchains; i++) {
                chains[i].next = b->free_chains;
                b->free_chains = &chains[i];
                ctxs[i].next = b->free_ctxs;
                b->free_ctxs = &ctxs[i];
            }
        }
    }
    if (page == 0) {
        printf("%s: out of memory; device skipped\n", name);
        return;
    }
    virtio_ready(&b->vd);
    devs[ndevs++] = b;
    printf("%s: %u sectors, slot %u%s\n", name, b->sectors, slot, b->read_only ? ", read-only" : "");
}

/* For the self-test and the kernel's statistics. */
void blk_stats(struct blkdev *b, unsigned *submitted, unsigned *completed, unsigned *max_in_flight, unsigned *kicks, unsigned *suppressed) {
    *submitted = b->submitted;
    *completed = b->completed;
    *max_in_flight = b->max_in_flight;
    *kicks = b->vd.vqs[0].kicks;
    *suppressed = b->vd.vqs[0].kicks_suppressed;
}

/* N of the device's name virtio-blkN. */
int blk_index(struct blkdev *b) {
    return b->index;
}
