/* virtio.c: the virtio-mmio transport (virtio 1.x §4.2, §3.1.1 initialisation) and the driver
 * side of split virtqueues (§2.7) with notification suppression (§2.7.7, §2.7.10 EVENT_IDX).
 *
 * Every ring lives in its own zeroed page and is mapped for the device through the DMA API once,
 * for the device's lifetime: the rings are the one thing a device must always be able to reach.
 * Everything here runs with interrupts disabled (callers hold irq_save), so the interrupt
 * handler and the submitters never see a half-updated ring. */
#include "virtio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t virtio_read(struct virtio_dev *d, unsigned off) {
    return *(volatile uint32_t *)(d->base + off);
}

void virtio_write(struct virtio_dev *d, unsigned off, uint32_t v) {
    *(volatile uint32_t *)(d->base + off) = v;
}

uint8_t virtio_config8(struct virtio_dev *d, unsigned off) {
    return *(volatile uint8_t *)(d->base + VIRTIO_MMIO_CONFIG + off);
}

uint32_t virtio_config32(struct virtio_dev *d, unsigned off) {
    return *(volatile uint32_t *)(d->base + VIRTIO_MMIO_CONFIG + off);
}

/* §2.5.1: a field wider than 32 bits is read twice until ConfigGeneration is stable. */
uint64_t virtio_config64(struct virtio_dev *d, unsigned off) {
    for (;;) {
        uint32_t gen = virtio_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
        uint32_t lo = virtio_config32(d, off);
        uint32_t hi = virtio_config32(d, off + 4);
        if (virtio_read(d, VIRTIO_MMIO_CONFIG_GENERATION) == gen) return ((uint64_t)hi << 32) | lo;
    }
}

int virtio_has(struct virtio_dev *d, unsigned bit) {
    if (bit < 32) return (d->features_lo >> bit) & 1;
    return (d->features_hi >> (bit - 32)) & 1;
}

static void set_status(struct virtio_dev *d, uint32_t bits) {
    virtio_write(d, VIRTIO_MMIO_STATUS, virtio_read(d, VIRTIO_MMIO_STATUS) | bits);
}

static int fail(struct virtio_dev *d, const char *name, const char *why) {
    set_status(d, VIRTIO_S_FAILED);
    printf("%s: %s; device skipped\n", name, why);
    return -E_IO;
}

static int eventidx_off(void) {
    char v[8];
    const char *s = cmdline_get("eventidx", v, sizeof v);
    return s != NULL && strcmp(s, "off") == 0;
}

int virtio_init(struct virtio_dev *d, const struct boot_device *bd, unsigned slot, uint32_t want, const char *name) {
    uint32_t off_lo, off_hi;
    memset(d, 0, sizeof *d);
    d->slot = slot;
    d->base = bd->mmio_base;
    d->irq = bd->irq;
    d->device_id = bd->kind & 0xffff;
    d->source_id = bd->kind >> 16;
    if (virtio_read(d, VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE || virtio_read(d, VIRTIO_MMIO_VERSION) != 2) {
        printf("%s: no virtio-mmio v2 device at 0x%x; skipped\n", name, d->base);
        return -E_IO;
    }
    /* §3.1.1 steps 1-3: reset, ACKNOWLEDGE, DRIVER. */
    virtio_write(d, VIRTIO_MMIO_STATUS, 0);
    virtio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
    virtio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    /* Step 4: negotiate. */
    virtio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    off_lo = virtio_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
    virtio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    off_hi = virtio_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
    if ((off_hi & (1u << (VIRTIO_F_VERSION_1 - 32))) == 0) return fail(d, name, "device does not offer VIRTIO_F_VERSION_1");
    /* Indirect descriptors are not used: our chains are at most three descriptors. EVENT_IDX
     * unless the command line says `eventidx=off` (to compare the two ways of suppressing). */
    d->features_lo = off_lo & (want & 0xffffffu);
    if (!eventidx_off()) d->features_lo |= off_lo & (1u << VIRTIO_F_EVENT_IDX);
    /* ACCESS_PLATFORM when offered: the device is behind the IOMMU and its addresses are IOVAs. */
    d->features_hi = off_hi & ((1u << (VIRTIO_F_VERSION_1 - 32)) | (1u << (VIRTIO_F_ACCESS_PLATFORM - 32)));
#ifdef DRIVERS_SELFTEST
    {
        /* The self-test's way to see a refused feature set: leave ACCESS_PLATFORM out. */
        char v[24];
        const char *s = cmdline_get("selftest", v, sizeof v);
        if (s != NULL && strcmp(s, "no-access-platform") == 0) d->features_hi &= ~(1u << (VIRTIO_F_ACCESS_PLATFORM - 32));
    }
#endif
    virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, d->features_lo);
    virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    virtio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, d->features_hi);
    /* Steps 5-6: FEATURES_OK must stick. */
    set_status(d, VIRTIO_S_FEATURES_OK);
    if ((virtio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_S_FEATURES_OK) == 0) return fail(d, name, "device refused the feature set (FEATURES_OK did not stick)");
    d->event_idx = virtio_has(d, VIRTIO_F_EVENT_IDX);
    return 0;
}

/* One zeroed page mapped for the device for good; its bus address, or 0. */
static uint32_t ring_page(struct virtio_dev *d, int dir, void **va) {
    uint32_t pa = page_alloc();
    if (pa == 0) return 0;
    *va = (void *)pa;
    return dma_map(d->source_id, (void *)pa, PAGE_SIZE, dir);
}

int virtio_setup_queue(struct virtio_dev *d, unsigned index, unsigned max) {
    struct vq *q = &d->vqs[index];
    void *dv, *av, *uv;
    uint32_t db, ab, ub, num_max, size, i;
    virtio_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
    if (virtio_read(d, VIRTIO_MMIO_QUEUE_READY) != 0) return -E_BUSY;
    num_max = virtio_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (num_max == 0) return -E_NOENT;
    if (max > VQ_MAX_SIZE) max = VQ_MAX_SIZE;
    /* The largest power of two within both limits. */
    for (size = 1; size * 2 <= num_max && size * 2 <= max; size *= 2) {}
    db = ring_page(d, DMA_TO_DEVICE, &dv);
    ab = ring_page(d, DMA_TO_DEVICE, &av);
    ub = ring_page(d, DMA_FROM_DEVICE, &uv);
    q->cookie = malloc(size * sizeof(void *));
    if (db == 0 || ab == 0 || ub == 0 || q->cookie == NULL) return -E_NOMEM;
    memset(q->cookie, 0, size * sizeof(void *));
    q->dev = d;
    q->index = index;
    q->size = size;
    q->desc = dv;
    q->avail = av;
    q->used = uv;
    for (i = 0; i < size; i++) q->desc[i].next = (uint16_t)(i + 1);
    q->free_head = 0;
    q->num_free = size;
    virtio_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
    virtio_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, db);
    virtio_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    virtio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, ab);
    virtio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    virtio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, ub);
    virtio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    virtio_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
    if (virtio_read(d, VIRTIO_MMIO_QUEUE_READY) != 1) return -E_IO;
    if (index + 1 > d->nqueues) d->nqueues = index + 1;
    return 0;
}

static void virtio_irq(void *arg) {
    struct virtio_dev *d = arg;
    uint32_t st = virtio_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    unsigned i;
    if (st != 0) virtio_write(d, VIRTIO_MMIO_INTERRUPT_ACK, st);
    if (st & VIRTIO_INT_CONFIG) {
        /* §2.1.2: the device set DEVICE_NEEDS_RESET (a ring it could not walk). We do not
         * recover: the device is marked broken so that waiters get -E_IO instead of hanging. */
        if ((virtio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_S_NEEDS_RESET) && !d->broken) {
            d->broken = 1;
            printf("virtio slot %u: device needs a reset; it is no longer used\n", d->slot);
        }
    }
    if ((st & VIRTIO_INT_USED) || d->broken) {
        for (i = 0; i < d->nqueues; i++)
            if (d->on_used != NULL) d->on_used(d, &d->vqs[i]);
    }
}

void virtio_ready(struct virtio_dev *d) {
    irq_register(d->irq, virtio_irq, d);
    set_status(d, VIRTIO_S_DRIVER_OK);
}

int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned n, void *cookie) {
    unsigned i;
    uint16_t head, idx, last = 0;
    if (n == 0 || q->num_free < n || q->dev->broken) return -1;
    head = q->free_head;
    idx = head;
    for (i = 0; i < n; i++) {
        volatile struct virtq_desc *dd = &q->desc[idx];
        dd->addr_lo = bufs[i].bus;
        dd->addr_hi = 0;
        dd->len = bufs[i].len;
        dd->flags = (uint16_t)((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        last = idx;
        idx = dd->next;
    }
    (void)last;
    q->free_head = idx;
    q->num_free -= n;
    q->cookie[head] = cookie;
    /* §2.7.13: the ring entry first, then the index the device reads. */
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    return head;
}

int vq_kick(struct vq *q) {
    uint16_t now = q->avail_idx, old = q->kicked_idx;
    int need;
    if (now == old) return 0;
    q->kicked_idx = now;
    if (q->dev->event_idx) {
        /* §2.7.10: notify iff avail.idx moved past avail_event (Linux's vring_need_event). */
        uint16_t event = q->used[2 + 4 * q->size];
        need = (uint16_t)(now - event - 1) < (uint16_t)(now - old);
    } else {
        need = (q->used[0] & VIRTQ_USED_F_NO_NOTIFY) == 0;
    }
    if (!need) {
        q->kicks_suppressed++;
        return 0;
    }
    q->kicks++;
    virtio_write(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
    return 1;
}

void *vq_get_used(struct vq *q, unsigned *len) {
    volatile uint32_t *elem;
    uint32_t id, n = 1;
    uint16_t i;
    void *cookie;
    if (q->last_used == q->used[1]) return NULL;
    elem = (volatile uint32_t *)((uint32_t)q->used + 4 + 8 * (q->last_used & (q->size - 1)));
    id = elem[0];
    *len = elem[1];
    q->last_used++;
    if (id >= q->size || q->cookie[id] == NULL) {
        printf("virtio slot %u: queue %u: device returned bad head %u\n", q->dev->slot, q->index, id);
        q->dev->broken = 1;
        return NULL;
    }
    cookie = q->cookie[id];
    q->cookie[id] = NULL;
    /* Back onto the free list, the whole chain. */
    for (i = (uint16_t)id; q->desc[i].flags & VIRTQ_DESC_F_NEXT; i = q->desc[i].next) n++;
    q->desc[i].next = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free += n;
    return cookie;
}

int vq_enable_cb(struct vq *q) {
    if (q->dev->event_idx) q->avail[2 + q->size] = q->last_used;
    else q->avail[0] = 0;
    return q->used[1] != q->last_used;
}

int vq_enable_cb_delayed(struct vq *q) {
    uint16_t bufs = (uint16_t)((uint16_t)(q->avail_idx - q->last_used) * 3 / 4);
    if (!q->dev->event_idx) return vq_enable_cb(q);
    q->avail[2 + q->size] = (uint16_t)(q->last_used + bufs);
    return (uint16_t)(q->used[1] - q->last_used) > bufs;
}

void vq_disable_cb(struct vq *q) {
    /* With EVENT_IDX an event index just behind us is crossed only after 65536 completions. */
    if (q->dev->event_idx) q->avail[2 + q->size] = (uint16_t)(q->last_used - 1);
    else q->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
}

unsigned vq_in_flight(struct vq *q) {
    return q->size - q->num_free;
}
