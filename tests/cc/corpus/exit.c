/* exit() from deep inside the program ends it with that status. */
#include <stdio.h>
#include <stdlib.h>

static int budget = 5;

static void finish(int depth) {
    if (depth < budget) {
        finish(depth + 1);
    } else if (budget > 0) {
        printf("leaving with 7 at depth %d\n", depth);
        exit(7);
    }
}

int main(void) {
    finish(0);
    printf("not reached\n");
    return 0;
}
