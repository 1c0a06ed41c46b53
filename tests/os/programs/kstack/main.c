/* kstack: asks a kernel built with -DKSTACK_SELFTEST to recurse argv[1] frames of about 256
 * bytes on this process's kernel stack (tests/os/stack-guard.test.ts). */
#include <vamos.h>
#include <stdio.h>
#include <stdlib.h>

int __vamos_syscall(unsigned nr, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e);

int main(int argc, char **argv) {
    unsigned depth = argc >= 2 ? (unsigned)atoi(argv[1]) : 1;
    int r = __vamos_syscall(0x7fff, depth, 0, 0, 0, 0);
    printf("kstack: %u frames returned %d\n", depth, r);
    return 0;
}
