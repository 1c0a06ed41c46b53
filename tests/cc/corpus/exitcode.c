/* The exit status is main's return value, as a native program's is. */
#include <stdio.h>

static int classify(int n) {
    if (n < 0) return 1;
    if (n == 0) return 2;
    return 3;
}

int main(void) {
    int s = classify(-4) * 10 + classify(0) + classify(7) * 100;
    printf("status %d\n", s % 256);
    return s % 256;
}
