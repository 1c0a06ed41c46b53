/* A polling driver for virtio-entropy (virtio 1.x §4.2.3 initialisation, §5.4) in slot 0 of
 * the vamos platform: it asks the device for 16 random bytes four times and prints them. */
#include <stdio.h>

#define SLOT0            0xd0000000u
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
#define R_STATUS         0x070
#define R_QUEUE_DESC_LO  0x080
#define R_QUEUE_DRV_LO   0x090
#define R_QUEUE_DEV_LO   0x0a0

#define S_ACKNOWLEDGE 1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8
#define F1_VERSION_1  1u
#define DESC_F_WRITE  2
#define QSIZE         8

struct desc { unsigned addr_lo, addr_hi, len; unsigned short flags, next; };
struct avail { unsigned short flags, idx, ring[QSIZE], used_event; };
struct used_elem { unsigned id, len; };
struct used { unsigned short flags, idx; struct used_elem ring[QSIZE]; unsigned short avail_event; };

static struct desc descs[QSIZE];
static struct avail av;
static struct used us;
static unsigned char buf[16];

static unsigned rd(unsigned off) { return *(volatile unsigned *)(SLOT0 + off); }
static void wr(unsigned off, unsigned v) { *(volatile unsigned *)(SLOT0 + off) = v; }

static int init(void) {
    if (rd(R_MAGIC) != 0x74726976u || rd(R_VERSION) != 2 || rd(R_DEVICE_ID) != 4) return -1;
    wr(R_STATUS, 0);
    wr(R_STATUS, S_ACKNOWLEDGE);
    wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
    wr(R_DEV_FEAT_SEL, 1);
    if (!(rd(R_DEV_FEATURES) & F1_VERSION_1)) return -2;
    wr(R_DRV_FEAT_SEL, 0);
    wr(R_DRV_FEATURES, 0);
    wr(R_DRV_FEAT_SEL, 1);
    wr(R_DRV_FEATURES, F1_VERSION_1);
    wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    if (!(rd(R_STATUS) & S_FEATURES_OK)) return -3;
    wr(R_QUEUE_SEL, 0);
    if (rd(R_QUEUE_NUM_MAX) < QSIZE) return -4;
    wr(R_QUEUE_NUM, QSIZE);
    wr(R_QUEUE_DESC_LO, (unsigned)descs);
    wr(R_QUEUE_DRV_LO, (unsigned)&av);
    wr(R_QUEUE_DEV_LO, (unsigned)&us);
    wr(R_QUEUE_READY, 1);
    wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return 0;
}

/* Posts buf, kicks, and polls the used ring (the device completes within the notification). */
static int fill(void) {
    unsigned short want = (unsigned short)(us.idx + 1);
    descs[0].addr_lo = (unsigned)buf;
    descs[0].addr_hi = 0;
    descs[0].len = sizeof buf;
    descs[0].flags = DESC_F_WRITE;
    av.ring[av.idx % QSIZE] = 0;
    av.idx++;
    wr(R_QUEUE_NOTIFY, 0);
    if (*(volatile unsigned short *)&us.idx != want) return -1;
    return (int)us.ring[(want - 1) % QSIZE].len;
}

int main(void) {
    int rc = init(), round, i;
    if (rc < 0) {
        printf("no virtio-entropy device in slot 0 (%d)\n", rc);
        return 1;
    }
    for (round = 0; round < 4; round++) {
        int n = fill();
        if (n != (int)sizeof buf) {
            printf("request %d: %d bytes\n", round, n);
            return 1;
        }
        printf("random:");
        for (i = 0; i < n; i++) printf(" %02x", buf[i]);
        printf("\n");
    }
    return 0;
}
