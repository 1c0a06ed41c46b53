/* core/chancall.c: SYS_CHAN_OPEN, SYS_CHAN_SUBMIT and SYS_CHAN_REAP, the user programs' way to
 * a module over a module channel (drivers/virtio_modchan.c, docs/guest-os.md). Unlike
 * SYS_MODULE_CALL, a submission returns at once with a tag and the caller reaps the answer
 * later, so a program keeps several operations in flight. Both buffers are bounced through
 * kernel memory; the answer is copied out at reap time, when the submitter's page tables are
 * the ones in use. An operation whose process exits before reaping keeps its slot until the
 * device answers and a later submission reclaims it. */
#include <stdlib.h>
#include <string.h>
#include "kcore.h"

#define CHAN_MAX       65536u
#define CHAN_PENDING   64
#define CHAN_F_MORE    0x80u            /* SYS_CHAN_SUBMIT flag: more follow, do not kick yet */
#define CHAN_WAIT_BLOCK 0u
#define CHAN_WAIT_POLL  1u
#define CHAN_WAIT_SOCK  2u

struct pending {
    int in_use;
    int pid;
    int chan;
    uint32_t uresp;
    struct modchan_req r;
};

static struct pending pending[CHAN_PENDING];

int sys_chan_open(uint32_t name, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    char kname[65];
    int n;
    (void)b; (void)c; (void)d; (void)e;
    n = strncpy_from_user(kname, (const char *)name, sizeof kname);
    if (n < 0) return n;
    if (n == 0 || n >= (int)sizeof kname) return -E_INVAL;
    return modchan_find(kname);
}

static int alive(int pid) {
    int i;
    for (i = 0; i < NPROC; i++)
        if (procs[i].pid == pid && procs[i].state != P_FREE && procs[i].state != P_ZOMBIE) return 1;
    return 0;
}

/* A free slot; the finished operations of processes that are gone are reclaimed on the way. */
static int slot_alloc(void) {
    int i;
    for (i = 0; i < CHAN_PENDING; i++) {
        struct pending *p = &pending[i];
        if (p->in_use && p->r.done && !alive(p->pid)) {
            free(p->r.buf);
            p->in_use = 0;
        }
        if (!p->in_use) return i;
    }
    return -E_BUSY;
}

int sys_chan_submit(uint32_t chan_op, uint32_t req, uint32_t len, uint32_t resp, uint32_t cap) {
    unsigned flags = chan_op >> 24, chan = (chan_op >> 16) & 0xff;
    struct pending *p;
    uint8_t *buf;
    int tag, rc;
    if (len > CHAN_MAX || cap > CHAN_MAX || (flags & ~CHAN_F_MORE) != 0) return -E_INVAL;
    if (!user_range_ok((const void *)req, len, 0) || !user_range_ok((const void *)resp, cap, 1)) return -E_FAULT;
    tag = slot_alloc();
    if (tag < 0) return tag;
    buf = malloc(2 * MODCHAN_HDR + len + cap);
    if (buf == NULL) return -E_NOMEM;
    if (copy_from_user(buf + MODCHAN_HDR, (const void *)req, len) < 0) {
        free(buf);
        return -E_FAULT;
    }
    p = &pending[tag];
    p->in_use = 1;
    p->pid = current->pid;
    p->chan = (int)chan;
    p->uresp = resp;
    p->r.op = chan_op & 0xffff;
    p->r.buf = buf;
    p->r.len = len;
    p->r.cap = cap;
    p->r.wq = &io_wait;
    rc = modchan_submit((int)chan, &p->r, (flags & CHAN_F_MORE) != 0);
    if (rc < 0) {
        free(buf);
        p->in_use = 0;
        return rc;
    }
    return tag;
}

/* The first finished operation of ours on `chan` (tag -1: any), or -1; *mine: any in flight. */
static int find_done(int chan, int tag, int *mine) {
    int i;
    *mine = 0;
    for (i = 0; i < CHAN_PENDING; i++) {
        struct pending *p = &pending[i];
        if (!p->in_use || p->pid != current->pid || p->chan != chan || (tag >= 0 && tag != i)) continue;
        *mine = 1;
        if (p->r.done) return i;
    }
    return -1;
}

/* wait: CHAN_WAIT_BLOCK, CHAN_WAIT_POLL, or CHAN_WAIT_SOCK | sock << 8: block, but give up with
 * -E_AGAIN as soon as a datagram waits on that socket (a server's one wait for both). */
int sys_chan_reap(uint32_t chan, uint32_t tag, uint32_t tag_out, uint32_t wait, uint32_t e) {
    int i, mine, status, sock = (int)(wait >> 8);
    unsigned s, mode = wait & 0xff;
    struct pending *p;
    (void)e;
    if (mode > CHAN_WAIT_SOCK) return -E_INVAL;
    if (tag_out != 0 && !user_range_ok((const void *)tag_out, 4, 1)) return -E_FAULT;
    modchan_flush((int)chan);            /* whatever MORE left unannounced must reach the device */
    s = irq_save();
    for (;;) {
        i = find_done((int)chan, (int)tag, &mine);
        if (i >= 0 || !mine || mode == CHAN_WAIT_POLL) break;
        if (mode == CHAN_WAIT_SOCK && udp_pending(sock)) break;
        sleep_on(&io_wait);
    }
    irq_restore(s);
    if (i < 0) return mine ? -E_AGAIN : -E_NOENT;
    p = &pending[i];
    status = p->r.status;
    if (status > (int)p->r.cap) status = -E_IO;
    if (status > 0 && copy_to_user((void *)p->uresp, p->r.buf + 2 * MODCHAN_HDR + p->r.len, (unsigned)status) < 0) status = -E_FAULT;
    free(p->r.buf);
    p->in_use = 0;
    if (tag_out != 0) *(int *)tag_out = i;
    return status;
}
