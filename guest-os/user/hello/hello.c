/* hello: the default disk's program. Greets with its pid and the virtual time, exits 0. */
#include <vamos.h>
#include <stdio.h>

int main(void) {
    unsigned long long ns = time_ns();
    printf("hello from pid %d at %llu.%06llu ms of virtual time\n", getpid(), ns / 1000000u, ns % 1000000u);
    return 0;
}
