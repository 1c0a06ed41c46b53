/* The system-call wrappers of vamos.h, over __vamos_syscall (syscall.s). */
#include <vamos.h>
#include <stdio.h>
#include <vamos_module.h>

int write(int fd, const void *buf, unsigned len) {
    if (fd == 1 || fd == 2) flush_output();   /* keep printf's buffered text in order */
    return __vamos_syscall(SYS_WRITE, (unsigned)fd, (unsigned)buf, len, 0, 0);
}

int read(int fd, void *buf, unsigned len) {
    if (fd == 0) flush_output();              /* a prompt shows before the read blocks */
    return __vamos_syscall(SYS_READ, (unsigned)fd, (unsigned)buf, len, 0, 0);
}

int open(const char *path) { return __vamos_syscall(SYS_OPEN, (unsigned)path, 0, 0, 0, 0); }
int close(int fd) { return __vamos_syscall(SYS_CLOSE, (unsigned)fd, 0, 0, 0, 0); }

int spawn(const char *path, const char *args) {
    flush_output();                           /* the child's output comes after ours */
    return __vamos_syscall(SYS_SPAWN, (unsigned)path, (unsigned)(args ? args : ""), 0, 0, 0);
}

int wait(int pid, int *status) {
    flush_output();
    return __vamos_syscall(SYS_WAIT, (unsigned)pid, (unsigned)status, 0, 0, 0);
}

int sleep_ms(unsigned ms) {
    flush_output();
    return __vamos_syscall(SYS_SLEEP, ms, 0, 0, 0, 0);
}

unsigned long long time_ns(void) {
    unsigned long long ns = 0;
    __vamos_syscall(SYS_TIME, (unsigned)&ns, 0, 0, 0, 0);
    return ns;
}

int blk_info(int disk, unsigned *sectors) {
    return __vamos_syscall(SYS_BLK_INFO, (unsigned)disk, (unsigned)sectors, 0, 0, 0);
}

int blk_read(int disk, unsigned sector, void *buf, unsigned count) {
    return __vamos_syscall(SYS_BLK_READ, (unsigned)disk, sector, (unsigned)buf, count, 0);
}

int blk_write(int disk, unsigned sector, const void *buf, unsigned count) {
    return __vamos_syscall(SYS_BLK_WRITE, (unsigned)disk, sector, (unsigned)buf, count, 0);
}

int blk_flush(int disk) { return __vamos_syscall(SYS_BLK_FLUSH, (unsigned)disk, 0, 0, 0, 0); }

int udp_bind(unsigned port) { return __vamos_syscall(SYS_UDP_BIND, port, 0, 0, 0, 0); }

int udp_send(int sock, const struct udp_addr *to, const void *buf, unsigned len) {
    return __vamos_syscall(SYS_UDP_SEND, (unsigned)sock, (unsigned)to, (unsigned)buf, len, 0);
}

int udp_recv(int sock, struct udp_addr *from, void *buf, unsigned len) {
    flush_output();
    return __vamos_syscall(SYS_UDP_RECV, (unsigned)sock, (unsigned)from, (unsigned)buf, len, 0);
}

int hypercall(unsigned nr, unsigned a, unsigned b, unsigned c) {
    return __vamos_syscall(SYS_HYPERCALL, nr, a, b, c, 0);
}

int getpid(void) { return __vamos_syscall(SYS_GETPID, 0, 0, 0, 0, 0); }

int yield(void) {
    flush_output();
    return __vamos_syscall(SYS_YIELD, 0, 0, 0, 0, 0);
}

int module_open(const char *name) { return __vamos_syscall(SYS_MODULE_OPEN, (unsigned)name, 0, 0, 0, 0); }

int module_call(unsigned handle_op, const void *req, unsigned req_len, void *resp, unsigned cap) {
    return __vamos_syscall(SYS_MODULE_CALL, handle_op, (unsigned)req, req_len, (unsigned)resp, cap);
}

int chan_open(const char *module) { return __vamos_syscall(SYS_CHAN_OPEN, (unsigned)module, 0, 0, 0, 0); }

int chan_submit(int chan, unsigned op, unsigned flags, const void *req, unsigned len, void *resp, unsigned cap) {
    if (chan < 0 || chan > 0xff || op > 0xffff || flags > 0xff) return -E_INVAL;
    return __vamos_syscall(SYS_CHAN_SUBMIT, (flags << 24) | ((unsigned)chan << 16) | op, (unsigned)req, len, (unsigned)resp, cap);
}

int chan_reap(int chan, int tag, int *tag_out, unsigned wait) {
    return __vamos_syscall(SYS_CHAN_REAP, (unsigned)chan, (unsigned)tag, (unsigned)tag_out, wait, 0);
}

/* vamos_module.h's calls for user programs: the kernel makes the hypercalls (hosted programs
 * get the libc's vmod_hosted.c instead). The kernel's error codes are the same numbers. */
int vmod_open(const char *name) { return module_open(name); }

int vmod_call(int handle, unsigned op, const void *req, unsigned req_len, void *resp, unsigned resp_cap) {
    if (handle < 0 || handle > 0xffff || op > VMOD_OP_MAX) return VMOD_EINVAL;
    return module_call(((unsigned)handle << 16) | op, req, req_len, resp, resp_cap);
}

const char *vamos_strerror(int err) {
    static char buf[16];
    if (err < 0) err = -err;
    switch (err) {
    case E_PERM: return "not permitted";
    case E_NOENT: return "no such file";
    case E_IO: return "I/O error";
    case E_BADF: return "bad file descriptor";
    case E_CHILD: return "no such child";
    case E_AGAIN: return "not yet";
    case E_NOMEM: return "out of memory";
    case E_FAULT: return "bad address";
    case E_BUSY: return "busy";
    case E_INVAL: return "invalid argument";
    case E_NOSPC: return "no space";
    case E_NOSYS: return "not implemented";
    case E_MSGSIZE: return "message too long";
    case E_ADDRINUSE: return "address in use";
    }
    snprintf(buf, sizeof buf, "error %d", err);
    return buf;
}
