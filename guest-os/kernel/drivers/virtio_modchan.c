/* virtio_modchan.c: the module channel (docs/virtio.md "virtio-modchan"), a vendor virtio device
 * whose backend in the hypervisor runs a module on host threads: the VAMOS prototype's
 * "Virtio-SQL". One queue; each operation is one chain of two descriptors, [op, flags, request]
 * device-readable and [status, reserved, response] device-writable, both in one kernel buffer
 * mapped through the DMA API while the device owns it. Completions come by interrupt (EVENT_IDX
 * when negotiated); several operations may be in flight, and a submitter that says more are
 * coming (MODCHAN_MORE) is not kicked for, so a batch costs one notification. */
#include "virtio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODCHAN_MAX_DEVS    4
#define MODCHAN_QUEUE_SIZE  64
#define MODCHAN_NAME_MAX    64

struct modchan {
    struct virtio_dev vd;
    char module[MODCHAN_NAME_MAX + 1];
    unsigned threads;
    struct waitq space;                 /* submitters waiting for descriptors */
    unsigned submitted, completed, max_in_flight;
};

static struct modchan *chans[MODCHAN_MAX_DEVS];
static int nchans;

static void finish(struct modchan *c, struct modchan_req *r, int status) {
    unsigned sid = c->vd.source_id;
    dma_unmap(sid, r->out_bus, MODCHAN_HDR + r->len);
    dma_unmap(sid, r->in_bus, MODCHAN_HDR + r->cap);
    r->status = status;
    r->done = 1;
    c->completed++;
    if (r->wq != NULL) wake_all(r->wq);
}

/* Interrupt handler: completes every used chain; a chain shorter than the status header means
 * the device could not report (docs/virtio.md: used length 0), which is an I/O error here. */
static void modchan_used(struct virtio_dev *d, struct vq *q) {
    struct modchan *c = d->priv;
    struct modchan_req *r;
    unsigned len, i;
    if (d->broken) {
        for (i = 0; i < q->size; i++) {
            r = q->cookie[i];
            if (r == NULL) continue;
            q->cookie[i] = NULL;
            finish(c, r, -E_IO);
        }
        wake_all(&c->space);
        return;
    }
    do {
        while ((r = vq_get_used(q, &len)) != NULL) {
            int32_t status = *(volatile int32_t *)(r->buf + MODCHAN_HDR + r->len);
            finish(c, r, len < MODCHAN_HDR ? -E_IO : status);
        }
    } while (vq_enable_cb(q));
    wake_all(&c->space);
}

int modchan_find(const char *module) {
    int i;
    for (i = 0; i < nchans; i++)
        if (strcmp(chans[i]->module, module) == 0) return i;
    return -E_NOENT;
}

/* r->buf holds MODCHAN_HDR + len request bytes then MODCHAN_HDR + cap for the answer (kernel
 * memory, physically contiguous). Sleeps while the queue is full. 0 or -E_*. */
int modchan_submit(int chan, struct modchan_req *r, int more) {
    struct modchan *c = chan >= 0 && chan < nchans ? chans[chan] : NULL;
    struct vq *q;
    struct vq_buf bufs[2];
    unsigned s, sid;
    if (c == NULL) return -E_INVAL;
    q = &c->vd.vqs[0];
    sid = c->vd.source_id;
    r->done = 0;
    r->status = 0;
    ((uint32_t *)r->buf)[0] = r->op;
    ((uint32_t *)r->buf)[1] = 0;
    s = irq_save();
    while (!c->vd.broken && q->num_free < 2) {
        vq_kick(q);
        sleep_on(&c->space);
    }
    if (c->vd.broken) {
        irq_restore(s);
        return -E_IO;
    }
    r->out_bus = dma_map(sid, r->buf, MODCHAN_HDR + r->len, DMA_TO_DEVICE);
    r->in_bus = dma_map(sid, r->buf + MODCHAN_HDR + r->len, MODCHAN_HDR + r->cap, DMA_FROM_DEVICE);
    bufs[0].bus = r->out_bus; bufs[0].len = MODCHAN_HDR + r->len; bufs[0].write = 0;
    bufs[1].bus = r->in_bus; bufs[1].len = MODCHAN_HDR + r->cap; bufs[1].write = 1;
    vq_add(q, bufs, 2, r);
    c->submitted++;
    if (vq_in_flight(q) > c->max_in_flight) c->max_in_flight = vq_in_flight(q);
    if (!more) vq_kick(q);
    irq_restore(s);
    return 0;
}

/* Kicks whatever MODCHAN_MORE submissions left unannounced. */
void modchan_flush(int chan) {
    unsigned s;
    if (chan < 0 || chan >= nchans) return;
    s = irq_save();
    vq_kick(&chans[chan]->vd.vqs[0]);
    irq_restore(s);
}

void virtio_modchan_probe(const struct boot_device *bd, unsigned slot) {
    struct modchan *c;
    char name[24];
    unsigned i;
    if (nchans == MODCHAN_MAX_DEVS) return;
    c = malloc(sizeof *c);
    if (c == NULL) return;
    memset(c, 0, sizeof *c);
    snprintf(name, sizeof name, "virtio-modchan%d", nchans);
    if (virtio_init(&c->vd, bd, slot, 0, name) != 0) {
        free(c);
        return;
    }
    c->vd.priv = c;
    c->vd.on_used = modchan_used;
    if (virtio_setup_queue(&c->vd, 0, MODCHAN_QUEUE_SIZE) != 0) {
        printf("%s: queue setup failed; device skipped\n", name);
        virtio_write(&c->vd, VIRTIO_MMIO_STATUS, virtio_read(&c->vd, VIRTIO_MMIO_STATUS) | VIRTIO_S_FAILED);
        free(c);
        return;
    }
    c->threads = virtio_config32(&c->vd, 8);
    for (i = 0; i < MODCHAN_NAME_MAX; i++) c->module[i] = (char)virtio_config8(&c->vd, 16 + i);
    c->module[MODCHAN_NAME_MAX] = 0;
    vq_enable_cb(&c->vd.vqs[0]);
    virtio_ready(&c->vd);
    chans[nchans++] = c;
    printf("%s: module %s, %u host thread%s, slot %u\n", name, c->module, c->threads, c->threads == 1 ? "" : "s", slot);
}
