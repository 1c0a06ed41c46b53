/* The libc's environment hooks for a user process. Output is collected per line (or until the
 * buffer fills) and written with one SYS_WRITE, so a line of one process is never interleaved
 * with another's (the kernel writes each write call whole). */
#include <vamos.h>
#include <stdio.h>

#define OUT_SIZE 256

static char out_buf[OUT_SIZE];
static unsigned out_len;

void flush_output(void) {
    unsigned done = 0;
    while (done < out_len) {
        int n = __vamos_syscall(SYS_WRITE, 1, (unsigned)(out_buf + done), out_len - done, 0, 0);
        if (n <= 0) break;                    /* the console is gone: drop the rest */
        done += (unsigned)n;
    }
    out_len = 0;
}

void __libc_putchar_hook(int c) {
    out_buf[out_len++] = (char)c;
    if (c == '\n' || out_len == OUT_SIZE) flush_output();
}

void __libc_exit_hook(int status) {
    flush_output();
    for (;;) __vamos_syscall(SYS_EXIT, (unsigned)status, 0, 0, 0, 0);
}
