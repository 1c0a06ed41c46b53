/* vamos.h: the user library of vamos programs (docs/guest-user.md). Thin wrappers over the
 * system calls of guest-os/include/syscall.h: each returns the kernel's result, >= 0 on
 * success or a negative -E_* code. The libc (stdio, stdlib, string) is linked too: printf
 * output is buffered per line and written with SYS_WRITE; exit() flushes it and calls SYS_EXIT. */
#ifndef _VAMOS_H
#define _VAMOS_H

#include <stddef.h>
#include <stdlib.h>
#include <syscall.h>

/* 10.0.2.2 written IP4(10, 0, 2, 2); addresses are in host byte order. */
#define IP4(a, b, c, d) (((unsigned)(a) << 24) | ((unsigned)(b) << 16) | ((unsigned)(c) << 8) | (unsigned)(d))

int __vamos_syscall(unsigned nr, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e);

int write(int fd, const void *buf, unsigned len);
int read(int fd, void *buf, unsigned len);        /* fd 0 blocks until input arrives */
int open(const char *path);                       /* a boot-fs file, read-only */
int close(int fd);
int spawn(const char *path, const char *args);    /* args: words separated by spaces; -> pid */
int wait(int pid, int *status);                   /* blocks until pid exits; -> pid */
int sleep_ms(unsigned ms);
unsigned long long time_ns(void);                 /* virtual nanoseconds since boot */
int blk_info(int disk, unsigned *sectors);        /* disk 0 is the first data disk */
int blk_read(int disk, unsigned sector, void *buf, unsigned count);        /* -> sectors */
int blk_write(int disk, unsigned sector, const void *buf, unsigned count); /* -> sectors */
int blk_flush(int disk);
int udp_bind(unsigned port);                      /* -> socket */
int udp_send(int sock, const struct udp_addr *to, const void *buf, unsigned len);
int udp_recv(int sock, struct udp_addr *from, void *buf, unsigned len);    /* blocks */
int hypercall(unsigned nr, unsigned a, unsigned b, unsigned c);
int getpid(void);
int yield(void);
/* Hypervisor-resident modules (docs/hypercalls.md): a handle, then calls with a request and a
 * response buffer (each at most 64 KiB) -> the response length. */
int module_open(const char *name);
int module_call(unsigned handle_op, const void *req, unsigned req_len, void *resp, unsigned cap);
/* Module channels (docs/guest-os.md, docs/virtio.md "virtio-modchan"): the same operations over
 * a virtio device, several in flight. chan_submit returns a tag at once (CHAN_MORE: more
 * follow, the device is notified at the next submission without it or at chan_reap);
 * chan_reap waits for one of the caller's operations (tag -1: any) and returns its response
 * length, the response copied to the buffer given at submission. wait: CHAN_WAIT_BLOCK,
 * CHAN_WAIT_POLL (-E_AGAIN at once if none is done) or CHAN_WAIT_SOCK(sock) (also -E_AGAIN when
 * a datagram waits on sock: a server's single wait for both). */
#define CHAN_MORE 0x80
#define CHAN_WAIT_BLOCK 0u
#define CHAN_WAIT_POLL  1u
#define CHAN_WAIT_SOCK(sock) (2u | ((unsigned)(sock) << 8))
int chan_open(const char *module);
int chan_submit(int chan, unsigned op, unsigned flags, const void *req, unsigned len, void *resp, unsigned cap);
int chan_reap(int chan, int tag, int *tag_out, unsigned wait);

/* Writes out what printf has buffered (the libc's fflush cannot reach the buffer). */
void flush_output(void);
/* "no such file" for -E_NOENT, etc.; "error N" for an unknown code. */
const char *vamos_strerror(int err);

#endif
