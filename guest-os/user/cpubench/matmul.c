/* cpubench: tests/cc/corpus/bench_matmul.c with main renamed bench_matmul (tests/os/user-cpubench checks they agree). */
/* Benchmark: multiply two 96x96 integer matrices three times (i-k-j order). */
#include <stdio.h>

#define N 96

static int a[N][N], b[N][N], c[N][N];

int bench_matmul(void) {
    int i, j, k, round;
    unsigned check = 0;
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            a[i][j] = (i * 7 + j * 3) % 19 - 9;
            b[i][j] = (i * 5 + j * 11) % 23 - 11;
        }
    for (round = 0; round < 3; round++) {
        for (i = 0; i < N; i++)
            for (j = 0; j < N; j++) c[i][j] = 0;
        for (i = 0; i < N; i++)
            for (k = 0; k < N; k++) {
                int aik = a[i][k] + round;
                for (j = 0; j < N; j++) c[i][j] += aik * b[k][j];
            }
        for (i = 0; i < N; i++)
            for (j = 0; j < N; j++) check = check * 33u + (unsigned)c[i][j];
    }
    printf("c[0][0] = %d, c[%d][%d] = %d, check %08x\n", c[0][0], N - 1, N - 1, c[N - 1][N - 1], check);
    return 0;
}
