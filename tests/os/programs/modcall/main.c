/* A user program under the vamos kernel calling a module through vamos_module.h (the kernel's
 * SYS_MODULE_* make the hypercalls): the same calls a hosted program makes directly. */
#include <stdio.h>
#include <string.h>
#include <vamos.h>
#include <vamos_module.h>

int main(void) {
    char req[] = "abcdef";
    char resp[16];
    int h = vmod_open("rev"), n;
    printf("open missing: %s\n", vmod_strerror(vmod_open("missing")));
    if (h < 0) {
        printf("open: %s\n", vmod_strerror(h));
        return 1;
    }
    n = vmod_call(h, 1, req, 6, resp, sizeof resp);
    printf("call: %d %.*s\n", n, n > 0 ? n : 0, resp);
    printf("bad op: %s\n", vmod_strerror(vmod_call(h, 7, req, 6, resp, sizeof resp)));
    printf("bad handle: %s\n", vmod_strerror(vmod_call(70000, 1, req, 6, resp, sizeof resp)));
    flush_output();
    return 0;
}
