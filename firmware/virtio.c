/* virtio.c: the boot ROM's virtio-blk driver (virtio 1.x §3.1.1, §4.2, §5.2), by polling: the
 * firmware runs with IF=0 and never takes an interrupt. One split queue with its rings in the
 * firmware's .bss (low RAM); requests read up to FW_DESC_DATA x 64 KiB at a time, so loading a
 * kernel costs a handful of notifications, not one per sector. docs/firmware.md. */
#include "fw.h"

/* virtio-mmio registers (virtio 1.x §4.2.2). */
#define R_MAGIC          0x000
#define R_VERSION        0x004
#define R_DEVICE_ID      0x008
#define R_DEV_FEATURES   0x010
#define R_DEV_FEAT_SEL   0x014
#define R_DRV_FEATURES   0x020
#define R_DRV_FEAT_SEL   0x024
#define R_QUEUE_SEL      0x030
#define R_QUEUE_NUM_MAX  0x034
#define R_QUEUE_NUM      0x038
#define R_QUEUE_READY    0x044
#define R_QUEUE_NOTIFY   0x050
#define R_INTERRUPT_STATUS 0x060
#define R_STATUS         0x070
#define R_QUEUE_DESC_LO  0x080
#define R_QUEUE_DESC_HI  0x084
#define R_QUEUE_DRV_LO   0x090
#define R_QUEUE_DRV_HI   0x094
#define R_QUEUE_DEV_LO   0x0a0
#define R_QUEUE_DEV_HI   0x0a4
#define R_CONFIG         0x100   /* virtio_blk_config: capacity (u64) first */

#define S_ACKNOWLEDGE    1
#define S_DRIVER         2
#define S_DRIVER_OK      4
#define S_FEATURES_OK    8

/* Feature bits 32 and 33: word 1 of the feature registers. */
#define F1_VERSION_1        (1u << 0)
#define F1_ACCESS_PLATFORM  (1u << 1)

#define AVAIL_F_NO_INTERRUPT 1
#define DESC_F_NEXT      1
#define DESC_F_WRITE     2

#define BLK_T_IN         0
#define BLK_S_OK         0

#define FW_QSIZE         16            /* descriptors we use (at most QueueNumMax) */
#define FW_DESC_DATA     8             /* data descriptors per request */
#define FW_DESC_SECTORS  128           /* 64 KiB per data descriptor */
#define FW_POLL_LIMIT    1000000u      /* looks at the used ring before a request counts as lost */

struct vq_desc {
    unsigned int addr_lo;
    unsigned int addr_hi;
    unsigned int len;
    unsigned short flags;
    unsigned short next;
};

struct vq_avail {
    unsigned short flags;
    unsigned short idx;
    unsigned short ring[FW_QSIZE];
    unsigned short used_event;
};

struct vq_used_elem {
    unsigned int id;
    unsigned int len;
};

struct vq_used {
    unsigned short flags;
    unsigned short idx;
    struct vq_used_elem ring[FW_QSIZE];
    unsigned short avail_event;
};

struct blk_req_header {
    unsigned int type;
    unsigned int reserved;
    unsigned int sector_lo;
    unsigned int sector_hi;
};

/* One queue's memory, shared by the disks in turn (each is reset before the next is used).
 * Aligned at run time: the descriptor table needs 16 bytes, the used ring 4. */
static unsigned int queue_mem[(16 + 512) / 4];
static struct blk_req_header req_header;
static unsigned int req_status;

static struct vq_desc *desc;
static struct vq_avail *avail;
static struct vq_used *used;

static unsigned int rd(struct fw_blk *d, unsigned int off) {
    return *(volatile unsigned int *)(d->base + off);
}

static void wr(struct fw_blk *d, unsigned int off, unsigned int v) {
    *(volatile unsigned int *)(d->base + off) = v;
}

static void io_error(struct fw_blk *d) {
    fw_fail_n("disk read error on slot ", d->slot, "");
}

void fw_blk_reset(struct fw_blk *d) {
    wr(d, R_STATUS, 0);
    /* §4.2.3.1: the driver waits for the reset to finish; ours is done when the write is. */
    if (rd(d, R_STATUS) != 0) io_error(d);
}

void fw_blk_init(struct fw_blk *d, unsigned int slot) {
    unsigned int status;
    unsigned int f1;
    unsigned int max;
    unsigned int at;

    d->slot = slot;
    d->base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
    d->last_used = 0;
    fw_blk_reset(d);
    status = S_ACKNOWLEDGE;
    wr(d, R_STATUS, status);
    status |= S_DRIVER;
    wr(d, R_STATUS, status);

    wr(d, R_DEV_FEAT_SEL, 1);
    f1 = rd(d, R_DEV_FEATURES);
    if ((f1 & F1_VERSION_1) == 0) io_error(d);
    /* ACCESS_PLATFORM means "DMA goes through the IOMMU"; the IOMMU is off until the kernel
     * enables it, so bus addresses are physical ones and the firmware may accept it. */
    wr(d, R_DRV_FEAT_SEL, 0);
    wr(d, R_DRV_FEATURES, 0);
    wr(d, R_DRV_FEAT_SEL, 1);
    wr(d, R_DRV_FEATURES, f1 & (F1_VERSION_1 | F1_ACCESS_PLATFORM));
    status |= S_FEATURES_OK;
    wr(d, R_STATUS, status);
    if ((rd(d, R_STATUS) & S_FEATURES_OK) == 0) io_error(d);

    wr(d, R_QUEUE_SEL, 0);
    if (rd(d, R_QUEUE_READY) != 0) io_error(d);
    max = rd(d, R_QUEUE_NUM_MAX);
    if (max < 3) io_error(d);   /* header, one data buffer, status */
    d->qsize = max < FW_QSIZE ? max : FW_QSIZE;

    at = ((unsigned int)queue_mem + 15) & ~15u;
    memset((void *)at, 0, 512);
    desc = (struct vq_desc *)at;
    avail = (struct vq_avail *)(at + 16 * FW_QSIZE);
    used = (struct vq_used *)(at + 16 * FW_QSIZE + 64);
    /* We poll: ask the device not to interrupt (§2.7.7), so that no completion of ours is left
     * latched in the PIC for the kernel to find when it unmasks the disk's line. */
    avail->flags = AVAIL_F_NO_INTERRUPT;
    wr(d, R_QUEUE_NUM, d->qsize);
    wr(d, R_QUEUE_DESC_LO, (unsigned int)desc);
    wr(d, R_QUEUE_DESC_HI, 0);
    wr(d, R_QUEUE_DRV_LO, (unsigned int)avail);
    wr(d, R_QUEUE_DRV_HI, 0);
    wr(d, R_QUEUE_DEV_LO, (unsigned int)used);
    wr(d, R_QUEUE_DEV_HI, 0);
    wr(d, R_QUEUE_READY, 1);
    status |= S_DRIVER_OK;
    wr(d, R_STATUS, status);

    d->capacity_lo = rd(d, R_CONFIG);
    d->capacity_hi = rd(d, R_CONFIG + 4);
}

/* One request: header, n data descriptors of up to 64 KiB, status. */
static void request(struct fw_blk *d, unsigned int sector, unsigned int count, unsigned char *dst) {
    unsigned int i = 1;
    unsigned int polls = 0;
    unsigned short want;

    req_header.type = BLK_T_IN;
    req_header.reserved = 0;
    req_header.sector_lo = sector;
    req_header.sector_hi = 0;
    req_status = 0xFF;
    desc[0].addr_lo = (unsigned int)&req_header;
    desc[0].addr_hi = 0;
    desc[0].len = sizeof(req_header);
    desc[0].flags = DESC_F_NEXT;
    desc[0].next = 1;
    while (count > 0) {
        unsigned int n = count < FW_DESC_SECTORS ? count : FW_DESC_SECTORS;
        desc[i].addr_lo = (unsigned int)dst;
        desc[i].addr_hi = 0;
        desc[i].len = n * BOOTFS_SECTOR_BYTES;
        desc[i].flags = DESC_F_WRITE | DESC_F_NEXT;
        desc[i].next = (unsigned short)(i + 1);
        dst += n * BOOTFS_SECTOR_BYTES;
        count -= n;
        i++;
    }
    desc[i].addr_lo = (unsigned int)&req_status;
    desc[i].addr_hi = 0;
    desc[i].len = 1;
    desc[i].flags = DESC_F_WRITE;
    desc[i].next = 0;

    avail->ring[avail->idx % d->qsize] = 0;
    avail->idx = (unsigned short)(avail->idx + 1);
    wr(d, R_QUEUE_NOTIFY, 0);

    /* Poll the used ring; between looks, read the device's InterruptStatus. That read is an
     * exit, which lets the device's service time pass for the price of one exit instead of
     * tens of thousands of spinning instructions (the host's time, docs/firmware.md). */
    want = (unsigned short)(d->last_used + 1);
    while (((volatile struct vq_used *)used)->idx != want) {
        if (++polls == FW_POLL_LIMIT) io_error(d);
        rd(d, R_INTERRUPT_STATUS);
    }
    d->last_used = want;
    if ((req_status & 0xFF) != BLK_S_OK) io_error(d);
}

void fw_blk_read(struct fw_blk *d, unsigned int sector, unsigned int count, unsigned char *dst) {
    unsigned int per = d->qsize - 2;
    if (per > FW_DESC_DATA) per = FW_DESC_DATA;
    per *= FW_DESC_SECTORS;
    if (d->capacity_hi == 0 && (sector > d->capacity_lo || count > d->capacity_lo - sector)) io_error(d);
    while (count > 0) {
        unsigned int n = count < per ? count : per;
        request(d, sector, n, dst);
        sector += n;
        count -= n;
        dst += n * BOOTFS_SECTOR_BYTES;
    }
}
