/* crash: misbehaves as argv[1] says, for the kernel's fault handling (tests/os/core*):
 *   div0  divides by zero            kmem  writes kernel memory at 0x100000
 *   io    executes an out instruction ud    executes an invalid opcode
 *   null  reads address 0            hlt   executes hlt (privileged)
 *   stack recurses without end (the guard below the stack)
 * The kernel must kill it; if it is still alive afterwards it says so and exits 1. */
#include <vamos.h>
#include <stdio.h>
#include <string.h>
#include <mx86.h>

static volatile int zero;
static volatile int sink;

static int deeper(int n) {
    volatile char frame[512];
    frame[0] = (char)n;
    return deeper(n + 1) + frame[0];
}

int main(int argc, char **argv) {
    const char *what = argc >= 2 ? argv[1] : "";
    printf("crash: %s\n", what);
    if (strcmp(what, "div0") == 0) {
        sink = 100 / zero;
    } else if (strcmp(what, "kmem") == 0) {
        *(volatile unsigned *)0x100000 = 0xDEADBEEFu;
    } else if (strcmp(what, "io") == 0) {
        __mx86_outb(0x3F8, '!');
    } else if (strcmp(what, "ud") == 0) {
        __mx86_ud2();
    } else if (strcmp(what, "null") == 0) {
        sink = *(volatile int *)0;
    } else if (strcmp(what, "hlt") == 0) {
        __mx86_hlt();
    } else if (strcmp(what, "stack") == 0) {
        sink = deeper(0);
    } else {
        printf("crash: usage: crash div0|kmem|io|ud|null|hlt|stack\n");
        return 2;
    }
    printf("crash: still alive after %s\n", what);
    return 1;
}
