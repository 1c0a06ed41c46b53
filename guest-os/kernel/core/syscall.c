/* core/syscall.c: the system calls of guest-os/include/syscall.h (docs/guest-os.md,
 * "System calls"). Arguments arrive in ebx, ecx, edx, esi, edi of the trapframe; the result
 * goes back in eax. Every user pointer is checked against the process's page tables before
 * the kernel touches it; data for devices goes through kernel bounce buffers, because a user
 * buffer is not physically contiguous. */
#include <stdlib.h>
#include <string.h>
#include <mx86.h>
#include "kcore.h"

#define BLK_SECTOR      512u
#define BLK_BOUNCE      128u            /* sectors per bounce buffer (64 KiB) */
#define FILE_BOUNCE     4096u
#define UDP_MAX         2048u
#define SPAWN_ARGS_MAX  1024u

typedef int (*syscall_fn)(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e);

/* The hypercalls a user program may make (vmm/hypercalls.ts): only the version query. */
static const uint32_t hypercalls_allowed[] = { 0 };

static struct file *fd_get(uint32_t fd) {
    if (fd >= NFD || current->files[fd].kind == FD_NONE) return NULL;
    return &current->files[fd];
}

static int sys_exit(uint32_t status, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    (void)b; (void)c; (void)d; (void)e;
    proc_exit((int)status);
    return 0;
}

static int sys_write(uint32_t fd, uint32_t buf, uint32_t len, uint32_t d, uint32_t e) {
    struct file *f = fd_get(fd);
    (void)d; (void)e;
    if (f == NULL || f->kind != FD_CONSOLE_OUT) return -E_BADF;
    if (len > 0x7FFFFFFFu || !user_range_ok((const void *)buf, len, 0)) return -E_FAULT;
    /* Whole, with interrupts off: no other process's output lands inside it. */
    console_flush();                    /* a partial kernel line goes first */
    console_write((const char *)buf, len);
    return (int)len;
}

static int sys_read(uint32_t fd, uint32_t buf, uint32_t len, uint32_t d, uint32_t e) {
    struct file *f = fd_get(fd);
    char *kbuf;
    int n;
    (void)d; (void)e;
    if (f == NULL || f->kind == FD_CONSOLE_OUT) return -E_BADF;
    if (len > 0x7FFFFFFFu || !user_range_ok((void *)buf, len, 1)) return -E_FAULT;
    if (len == 0) return 0;
    if (len > FILE_BOUNCE) len = FILE_BOUNCE;
    kbuf = malloc(len);
    if (kbuf == NULL) return -E_NOMEM;
    if (f->kind == FD_CONSOLE_IN) {
        n = console_read(kbuf, len);
    } else {
        uint32_t left = f->offset < f->entry->size ? f->entry->size - f->offset : 0;
        if (len > left) len = left;
        n = len == 0 ? 0 : bootfs_read(f->entry, f->offset, kbuf, len);
        if (n > 0) f->offset += (unsigned)n;
    }
    /* The mapping cannot have changed while we slept: only the process itself changes it. */
    if (n > 0) memcpy((void *)buf, kbuf, (unsigned)n);
    free(kbuf);
    return n;
}

static int sys_open(uint32_t path, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    char name[BOOTFS_NAME_MAX];
    const struct bootfs_entry *ent;
    int n = strncpy_from_user(name, (const char *)path, sizeof name);
    unsigned fd;
    (void)b; (void)c; (void)d; (void)e;
    if (n == -E_INVAL) return -E_NOENT;         /* longer than any boot-fs name */
    if (n < 0) return n;
    ent = bootfs_find(name);
    if (ent == NULL) return -E_NOENT;
    for (fd = 3; fd < NFD; fd++) {
        if (current->files[fd].kind == FD_NONE) {
            current->files[fd].kind = FD_FILE;
            current->files[fd].entry = ent;
            current->files[fd].offset = 0;
            return (int)fd;
        }
    }
    return -E_NOMEM;
}

static int sys_close(uint32_t fd, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    struct file *f = fd_get(fd);
    (void)b; (void)c; (void)d; (void)e;
    if (f == NULL) return -E_BADF;
    memset(f, 0, sizeof *f);
    return 0;
}

static int sys_spawn(uint32_t path, uint32_t args, uint32_t c, uint32_t d, uint32_t e) {
    char name[BOOTFS_NAME_MAX];
    char *kargs;
    int n, pid;
    (void)c; (void)d; (void)e;
    n = strncpy_from_user(name, (const char *)path, sizeof name);
    if (n == -E_INVAL) return -E_NOENT;
    if (n < 0) return n;
    kargs = malloc(SPAWN_ARGS_MAX + 1);
    if (kargs == NULL) return -E_NOMEM;
    kargs[0] = 0;
    if (args != 0) n = strncpy_from_user(kargs, (const char *)args, SPAWN_ARGS_MAX + 1);
    pid = n < 0 ? n : proc_spawn(name, kargs, current);
    free(kargs);
    return pid;
}

static int sys_wait(uint32_t pid, uint32_t status, uint32_t c, uint32_t d, uint32_t e) {
    int st = 0, got;
    (void)c; (void)d; (void)e;
    if (status != 0 && !user_range_ok((void *)status, 4, 1)) return -E_FAULT;
    got = proc_wait((int)pid, &st);
    if (got > 0 && status != 0) memcpy((void *)status, &st, 4);
    return got;
}

static int sys_sleep(uint32_t ms, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    (void)b; (void)c; (void)d; (void)e;
    sleep_ms(ms);
    return 0;
}

static int sys_time(uint32_t out, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    uint64_t ns = time_ns();
    (void)b; (void)c; (void)d; (void)e;
    return copy_to_user((void *)out, &ns, sizeof ns);
}

static int sys_blk_info(uint32_t disk, uint32_t out, uint32_t c, uint32_t d, uint32_t e) {
    struct blkdev *dev = datadisk_get((int)disk);
    uint32_t sectors;
    (void)c; (void)d; (void)e;
    if (disk > 0xFF || dev == NULL) return -E_NOENT;
    sectors = blk_sectors(dev);
    return copy_to_user((void *)out, &sectors, sizeof sectors);
}

/* Reads or writes count sectors through a bounce buffer, BLK_BOUNCE sectors at a time. */
static int blk_rw(uint32_t disk, uint32_t sector, uint32_t buf, uint32_t count, int write) {
    struct blkdev *dev = datadisk_get((int)disk);
    uint8_t *kbuf;
    uint32_t done = 0;
    if (disk > 0xFF || dev == NULL) return -E_NOENT;
    if (count == 0) return 0;
    if (count > 0x3FFFFFu || sector >= blk_sectors(dev) || count > blk_sectors(dev) - sector) return -E_INVAL;
    if (write && blk_read_only(dev)) return -E_PERM;
    if (!user_range_ok((void *)buf, count * BLK_SECTOR, !write)) return -E_FAULT;
    kbuf = malloc((count < BLK_BOUNCE ? count : BLK_BOUNCE) * BLK_SECTOR);
    if (kbuf == NULL) return -E_NOMEM;
    while (done < count) {
        uint32_t n = count - done < BLK_BOUNCE ? count - done : BLK_BOUNCE;
        uint8_t *ubuf = (uint8_t *)buf + done * BLK_SECTOR;
        int err;
        if (write) {
            memcpy(kbuf, ubuf, n * BLK_SECTOR);
            err = blk_write(dev, sector + done, kbuf, n);
        } else {
            err = blk_read(dev, sector + done, kbuf, n);
            if (err >= 0) memcpy(ubuf, kbuf, n * BLK_SECTOR);
        }
        if (err < 0) {
            free(kbuf);
            return err;
        }
        done += n;
    }
    free(kbuf);
    return (int)count;
}

static int sys_blk_read(uint32_t disk, uint32_t sector, uint32_t buf, uint32_t count, uint32_t e) {
    (void)e;
    return blk_rw(disk, sector, buf, count, 0);
}

static int sys_blk_write(uint32_t disk, uint32_t sector, uint32_t buf, uint32_t count, uint32_t e) {
    (void)e;
    return blk_rw(disk, sector, buf, count, 1);
}

static int sys_blk_flush(uint32_t disk, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    struct blkdev *dev = datadisk_get((int)disk);
    (void)b; (void)c; (void)d; (void)e;
    if (disk > 0xFF || dev == NULL) return -E_NOENT;
    return blk_flush(dev);
}

static int sys_udp_bind(uint32_t port, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    (void)b; (void)c; (void)d; (void)e;
    return udp_bind(port);
}

static int sys_udp_send(uint32_t sock, uint32_t to, uint32_t buf, uint32_t len, uint32_t e) {
    struct udp_addr addr;
    uint8_t *kbuf;
    int n;
    (void)e;
    if (copy_from_user(&addr, (const void *)to, sizeof addr) < 0) return -E_FAULT;
    if (len > UDP_MAX) return -E_MSGSIZE;
    if (!user_range_ok((const void *)buf, len, 0)) return -E_FAULT;
    kbuf = malloc(len ? len : 1);
    if (kbuf == NULL) return -E_NOMEM;
    memcpy(kbuf, (const void *)buf, len);
    n = udp_send((int)sock, addr.ip, addr.port, kbuf, len);
    free(kbuf);
    return n;
}

static int sys_udp_recv(uint32_t sock, uint32_t from, uint32_t buf, uint32_t len, uint32_t e) {
    struct udp_addr addr;
    uint8_t *kbuf;
    int n;
    (void)e;
    if (from != 0 && !user_range_ok((void *)from, sizeof addr, 1)) return -E_FAULT;
    if (len > 0x7FFFFFFFu || !user_range_ok((void *)buf, len, 1)) return -E_FAULT;
    if (len > UDP_MAX) len = UDP_MAX;
    kbuf = malloc(len ? len : 1);
    if (kbuf == NULL) return -E_NOMEM;
    n = udp_recv((int)sock, &addr.ip, &addr.port, kbuf, len);
    if (n >= 0) {
        memcpy((void *)buf, kbuf, (unsigned)n);
        if (from != 0) memcpy((void *)from, &addr, sizeof addr);
    }
    free(kbuf);
    return n;
}

static int sys_hypercall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c, uint32_t e) {
    unsigned i;
    (void)e;
    for (i = 0; i < sizeof hypercalls_allowed / sizeof hypercalls_allowed[0]; i++) {
        if (hypercalls_allowed[i] == nr) return (int)__mx86_vmcall(nr, a, b, c, 0, 0);
    }
    return -E_PERM;
}

static int sys_getpid(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    (void)a; (void)b; (void)c; (void)d; (void)e;
    return current->pid;
}

static int sys_yield(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    (void)a; (void)b; (void)c; (void)d; (void)e;
    yield();
    return 0;
}

static const syscall_fn syscalls[SYS_COUNT] = {
    [SYS_EXIT] = sys_exit, [SYS_WRITE] = sys_write, [SYS_READ] = sys_read, [SYS_OPEN] = sys_open,
    [SYS_CLOSE] = sys_close, [SYS_SPAWN] = sys_spawn, [SYS_WAIT] = sys_wait, [SYS_SLEEP] = sys_sleep,
    [SYS_TIME] = sys_time, [SYS_BLK_INFO] = sys_blk_info, [SYS_BLK_READ] = sys_blk_read,
    [SYS_BLK_WRITE] = sys_blk_write, [SYS_BLK_FLUSH] = sys_blk_flush, [SYS_UDP_BIND] = sys_udp_bind,
    [SYS_UDP_SEND] = sys_udp_send, [SYS_UDP_RECV] = sys_udp_recv, [SYS_HYPERCALL] = sys_hypercall,
    [SYS_GETPID] = sys_getpid, [SYS_YIELD] = sys_yield, [SYS_MODULE_OPEN] = sys_module_open,
    [SYS_MODULE_CALL] = sys_module_call, [SYS_CHAN_OPEN] = sys_chan_open, [SYS_CHAN_SUBMIT] = sys_chan_submit,
    [SYS_CHAN_REAP] = sys_chan_reap,
};

#ifdef KSTACK_SELFTEST
/* tests/os/stack-guard.test.ts: `depth` frames of about 256 bytes on the kernel stack. */
#define SYS_KSTACK_SELFTEST 0x7fff
static int kstack_recurse(unsigned depth) {
    volatile unsigned char pad[256];
    pad[0] = (unsigned char)depth;
    if (depth == 0) return pad[0];
    return kstack_recurse(depth - 1) + pad[0];
}
#endif

void syscall(struct trapframe *tf) {
    uint32_t nr = tf->eax;
#ifdef KSTACK_SELFTEST
    if (nr == SYS_KSTACK_SELFTEST) {
        tf->eax = (uint32_t)kstack_recurse(tf->ebx);
        return;
    }
#endif
    if (nr >= SYS_COUNT || syscalls[nr] == NULL) {
        tf->eax = (uint32_t)-E_NOSYS;
        return;
    }
    tf->eax = (uint32_t)syscalls[nr](tf->ebx, tf->ecx, tf->edx, tf->esi, tf->edi);
}
