/* syscall.h: the vamos kernel's system-call ABI (docs/guest-os.md), shared by the kernel and
 * the user library. `int 0x80` with the number in eax and arguments in ebx, ecx, edx, esi, edi;
 * the result comes back in eax: >= 0 success, a negative E* value on failure. */
#ifndef _VAMOS_SYSCALL_H
#define _VAMOS_SYSCALL_H

#define SYS_EXIT        1   /* (int status) never returns */
#define SYS_WRITE       2   /* (int fd, const void *buf, unsigned len) -> bytes; fd 1 and 2: console */
#define SYS_READ        3   /* (int fd, void *buf, unsigned len) -> bytes, 0 at end; fd 0: console (blocks) */
#define SYS_OPEN        4   /* (const char *path) -> fd: a file of the boot file system, read-only */
#define SYS_CLOSE       5   /* (int fd) */
#define SYS_SPAWN       6   /* (const char *path, const char *args) -> pid */
#define SYS_WAIT        7   /* (int pid, int *status) -> pid; blocks until it exits */
#define SYS_SLEEP       8   /* (unsigned ms) */
#define SYS_TIME        9   /* (unsigned long long *ns) virtual nanoseconds since boot */
#define SYS_BLK_INFO    10  /* (int disk, unsigned *sectors) -> 0; disk 0 is the first data disk */
#define SYS_BLK_READ    11  /* (int disk, unsigned sector, void *buf, unsigned count) -> sectors */
#define SYS_BLK_WRITE   12  /* (int disk, unsigned sector, const void *buf, unsigned count) -> sectors */
#define SYS_BLK_FLUSH   13  /* (int disk) -> 0 once everything written is durable */
#define SYS_UDP_BIND    14  /* (unsigned port) -> socket */
#define SYS_UDP_SEND    15  /* (int sock, const struct udp_addr *to, const void *buf, unsigned len) -> bytes */
#define SYS_UDP_RECV    16  /* (int sock, struct udp_addr *from, void *buf, unsigned len) -> bytes; blocks */
#define SYS_HYPERCALL   17  /* (unsigned nr, unsigned a, unsigned b, unsigned c) -> eax of the vmcall, if allowed */
#define SYS_GETPID      18  /* () -> pid */
#define SYS_YIELD       19  /* () */
#define SYS_MODULE_OPEN 20  /* (const char *name) -> module handle: HC_MODULE_OPEN (docs/hypercalls.md) */
#define SYS_MODULE_CALL 21  /* (unsigned handle_op, const void *req, unsigned req_len, void *resp, unsigned cap)
                               -> response length: HC_MODULE_CALL with the kernel bouncing both buffers
                               (each at most 64 KiB) through physically contiguous kernel memory */
#define SYS_CHAN_OPEN   22  /* (const char *module) -> channel: the virtio-modchan device bound to it */
#define SYS_CHAN_SUBMIT 23  /* (unsigned flags << 24 | chan << 16 | op, const void *req, unsigned len, void *resp,
                               unsigned cap) -> tag, at once; flag 0x80: more follow (no kick yet) */
#define SYS_CHAN_REAP   24  /* (int chan, int tag or -1 for any, int *tag_out, unsigned wait) -> response length
                               or negative; wait 0: until one of the caller's operations is done, 1: not at
                               all (-E_AGAIN), 2 | sock << 8: also stop (-E_AGAIN) when a datagram waits on
                               sock; -E_NOENT when the caller has none out */
#define SYS_COUNT       25

#define SYSCALL_VECTOR  0x80

/* Error codes (returned negated). */
#define E_PERM      1
#define E_NOENT     2
#define E_IO        5
#define E_BADF      9
#define E_CHILD     10
#define E_AGAIN     11
#define E_NOMEM     12
#define E_FAULT     14
#define E_BUSY      16
#define E_INVAL     22
#define E_NOSPC     28
#define E_NOSYS     38
#define E_MSGSIZE   90
#define E_ADDRINUSE 98

struct udp_addr {
    unsigned int ip;     /* host byte order: 10.0.2.2 is 0x0A000202 */
    unsigned int port;
};

#endif
