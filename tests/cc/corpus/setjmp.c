/* setjmp and longjmp: unwinding out of nested calls, with the value passed through. */
#include <stdio.h>
#include <setjmp.h>

static jmp_buf env;
static int calls;

static void deep(int n) {
    calls++;
    if (n > 0) deep(n - 1);
    else if (calls > 0) longjmp(env, 42);
}

int main(void) {
    volatile int tries = 0;
    int r = setjmp(env);
    tries++;
    printf("setjmp returned %d (try %d)\n", r, tries);
    if (r == 0) deep(10);
    if (tries == 2) {
        if (setjmp(env) == 0) longjmp(env, 0);
        printf("longjmp(env, 0) gives 1\n");
    }
    printf("calls %d\n", calls);
    return 0;
}
