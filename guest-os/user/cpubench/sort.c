/* cpubench: tests/cc/corpus/bench_sort.c with main renamed bench_sort (tests/os/user-cpubench checks they agree). */
/* Benchmark: sort 20,000 pseudo-random integers with qsort and with a hand-written merge sort. */
#include <stdio.h>
#include <stdlib.h>

#define N 20000

static int a[N], b[N], tmp[N];

static int cmp(const void *x, const void *y) {
    int p = *(const int *)x, q = *(const int *)y;
    return p < q ? -1 : p > q;
}

static void merge_sort(int *v, int n) {
    int width, i;
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            int lo = i, mid = i + width < n ? i + width : n, hi = i + 2 * width < n ? i + 2 * width : n;
            int l = lo, r = mid, k = lo;
            while (l < mid && r < hi) tmp[k++] = v[l] <= v[r] ? v[l++] : v[r++];
            while (l < mid) tmp[k++] = v[l++];
            while (r < hi) tmp[k++] = v[r++];
        }
        for (i = 0; i < n; i++) v[i] = tmp[i];
    }
}

int bench_sort(void) {
    unsigned seed = 1;
    unsigned check = 0;
    int i;
    for (i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        a[i] = b[i] = (int)(seed >> 8) - (1 << 23);
    }
    qsort(a, N, sizeof a[0], cmp);
    merge_sort(b, N);
    for (i = 0; i < N; i++) {
        if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) {
            printf("sort mismatch at %d\n", i);
            return 1;
        }
        check = check * 31u + (unsigned)a[i];
    }
    printf("sorted %d values, min %d max %d, check %08x\n", N, a[0], a[N - 1], check);
    return 0;
}
