/* kernel.h: the contract between the parts of the vamos kernel (docs/guest-os.md).
 *
 *   core/     entry, interrupts, paging, pages, heap, processes, scheduler, syscalls, loader
 *   drivers/  virtio-mmio, virtio-blk, virtio-net, the IOMMU and the DMA API, the boot fs
 *   net/      ARP, IPv4, UDP
 *
 * Memory: guest-physical RAM is identity-mapped for the kernel (supervisor pages) from 0 to
 * mem_size, and so are the device windows of the boot-information block; a kernel pointer to
 * RAM is its physical address. User space is USER_BASE..USER_TOP, per process.
 * The kernel links the libc: printf goes to the console, malloc/free use the kernel heap. */
#ifndef _VAMOS_KERNEL_H
#define _VAMOS_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "../../include/platform.h"
#include "../../include/bootfs.h"
#include "../../include/syscall.h"

#define PAGE_SIZE   4096u
#define USER_BASE   0x40000000u   /* user programs are linked here */
#define USER_TOP    0xC0000000u   /* the user stack ends here */

/* ---- core: console, panic, boot information ---------------------------------------- */
extern struct boot_info *boot_info;
void panic(const char *fmt, ...);           /* prints "kernel panic: ...", powers off with 3 */
void power_off(int status);
/* The value of "key=value" on the command line, copied into buf (NUL-terminated); NULL if
 * the key is absent. A bare "key" yields "". */
const char *cmdline_get(const char *key, char *buf, unsigned size);

/* ---- core: physical pages (zeroed, identity-mapped) --------------------------------- */
uint32_t page_alloc(void);                  /* 0 when memory is exhausted */
void page_free(uint32_t pa);
unsigned pages_free_count(void);

/* ---- core: interrupts --------------------------------------------------------------- */
typedef void (*irq_handler_t)(void *arg);
/* Installs the handler for a PIC line and unmasks it. The handler runs with interrupts off;
 * the core sends the EOI after it returns. */
void irq_register(unsigned line, irq_handler_t handler, void *arg);
unsigned irq_save(void);                    /* cli; returns the previous IF state */
void irq_restore(unsigned state);

/* ---- core: blocking ------------------------------------------------------------------ */
struct proc;
struct waitq {
    struct proc *head;
};
/* Call with interrupts disabled (irq_save). Sleeps until wake_all(wq); returns with
 * interrupts disabled again. Callers re-check their condition in a loop. Before the first
 * process runs (kernel initialisation) it idles with sti; hlt instead. */
void sleep_on(struct waitq *wq);
void wake_all(struct waitq *wq);            /* safe from interrupt handlers */
extern struct proc *current;                /* NULL during initialisation */
extern int in_irq;                          /* 1 while an interrupt handler runs: it must not sleep */
#define may_sleep() (current != NULL && !in_irq)

/* ---- core: time ---------------------------------------------------------------------- */
uint64_t time_ns(void);                     /* virtual nanoseconds since the timer started */
void sleep_ms(unsigned ms);

/* ---- core: user memory (checks that the range is mapped user memory of `current`) ---- */
int user_range_ok(const void *p, unsigned len, int write);
int copy_from_user(void *dst, const void *src, unsigned len);   /* 0 or -E_FAULT */
int copy_to_user(void *dst, const void *src, unsigned len);     /* 0 or -E_FAULT */
int strncpy_from_user(char *dst, const char *src, unsigned size); /* length or -E_FAULT */

/* ---- drivers: the DMA API (drivers/dma.c) --------------------------------------------- */
#define DMA_OFF       0     /* no IOMMU translation: bus address = physical address */
#define DMA_STRICT    1     /* invalidate the IOTLB on every unmap */
#define DMA_DEFERRED  2     /* queue unmaps, invalidate in batches (the optimistic teardown) */
#define DMA_TO_DEVICE   1
#define DMA_FROM_DEVICE 2
#define DMA_BIDIR       3
struct dma_stats {
    unsigned maps, unmaps, invalidations, deferred_flushes;
};
extern int dma_mode;                        /* from "iommu=off|strict|deferred" */
extern struct dma_stats dma_stats;
void dma_init(void);
/* Maps [buf, buf+len) for device `source_id`; returns the bus address (an IOVA) for the device. */
uint32_t dma_map(unsigned source_id, const void *buf, unsigned len, int dir);
void dma_unmap(unsigned source_id, uint32_t bus, unsigned len);
/* The physical address of a kernel pointer (core/mem.c): the identity map, except on the kernel
 * stacks, which are mapped apart from RAM's identity map (so that a guard page can sit below each). */
uint32_t kernel_pa(const void *p);

/* ---- drivers: block devices (drivers/virtio_blk.c) --------------------------------- */
struct blkdev;
struct blk_req {
    struct blkdev *dev;
    int write;               /* 0 read, 1 write, 2 flush */
    uint32_t sector;
    void *buf;               /* kernel address */
    unsigned count;          /* sectors */
    volatile int done;       /* set by the interrupt handler */
    int status;              /* 0 or -E_IO */
    struct waitq wq;
};
int blk_count(void);
struct blkdev *blk_get(int index);          /* every virtio-blk device, in slot order */
uint32_t blk_sectors(struct blkdev *dev);
int blk_read_only(struct blkdev *dev);
int blk_submit(struct blk_req *req);        /* queues it (several may be in flight) */
int blk_wait(struct blk_req *req);          /* blocks until done; returns its status */
int blk_read(struct blkdev *dev, uint32_t sector, void *buf, unsigned count);
int blk_write(struct blkdev *dev, uint32_t sector, const void *buf, unsigned count);
int blk_flush(struct blkdev *dev);

/* ---- drivers: module channels (drivers/virtio_modchan.c, docs/virtio.md) ------------- */
#define MODCHAN_HDR  8u      /* [u32 op][u32 flags] before a request, [i32 status][u32 0] before a response */
struct modchan_req {
    unsigned op;
    uint8_t *buf;            /* kernel memory: MODCHAN_HDR + len, then MODCHAN_HDR + cap */
    unsigned len, cap;
    volatile int done;       /* set by the interrupt handler */
    int status;              /* the module's: response length or negative; -E_IO if the device failed */
    struct waitq *wq;        /* woken at completion (may be NULL) */
    uint32_t out_bus, in_bus;
};
int modchan_find(const char *module);       /* channel index of the device bound to `module`, or -E_NOENT */
int modchan_submit(int chan, struct modchan_req *r, int more);  /* more: do not kick yet */
void modchan_flush(int chan);               /* kicks what `more` submissions left */
/* Woken by every channel completion of SYS_CHAN_SUBMIT and every datagram delivered, so that a
 * server can wait for either (SYS_CHAN_REAP's socket mode; core/chancall.c). */
extern struct waitq io_wait;

/* ---- drivers: the boot file system (drivers/bootfs.c) ------------------------------- */
int bootfs_mount(void);                     /* finds the disk with a VBFS superblock */
const struct bootfs_entry *bootfs_find(const char *name);
const struct bootfs_entry *bootfs_entry_at(unsigned index);  /* NULL past the end */
int bootfs_read(const struct bootfs_entry *f, unsigned offset, void *buf, unsigned len);
const char *bootfs_cmdline(void);           /* the disk's default command line, or "" */
int datadisk_count(void);                   /* block devices other than the boot disk */
struct blkdev *datadisk_get(int index);

/* ---- drivers: network (drivers/virtio_net.c) ---------------------------------------- */
typedef void (*net_rx_t)(const uint8_t *frame, unsigned len);   /* interrupt context */
int net_present(void);
const uint8_t *net_mac(void);
void net_set_rx(net_rx_t rx);
/* An Ethernet frame; 0 or -E_*. With the transmit ring full it waits for room when the caller
 * may sleep (a process's send), and fails with -E_BUSY otherwise (an ARP reply sent from the
 * receive interrupt), as a full ring drops on real hardware. */
int net_send(const void *frame, unsigned len);

/* ---- drivers: bring-up ---------------------------------------------------------------- */
void drivers_init(void);                    /* dma_init, then every device of boot_info */

/* ---- net: UDP over IPv4 (net/) --------------------------------------------------------- */
void net_init(void);                        /* after drivers_init; a no-op without a NIC */
int udp_bind(unsigned port);                /* socket index or -E_* */
int udp_send(int sock, uint32_t ip, unsigned port, const void *buf, unsigned len);
int udp_recv(int sock, uint32_t *ip, unsigned *port, void *buf, unsigned len);  /* blocks */
int udp_pending(int sock);                  /* a datagram is waiting (interrupts off) */
void udp_close_owned_by(struct proc *p);    /* when a process exits */

#endif
