/* qsort: quicksort with a median-of-three pivot and insertion sort for short runs; it recurses
 * into the smaller side only, so the stack stays O(log n). */
#include <stdlib.h>

static void swap_bytes(char *a, char *b, size_t size) {
    if (a == b) return;
    if (size == 4 && (((size_t)a | (size_t)b) & 3) == 0) {
        int t = *(int *)a;
        *(int *)a = *(int *)b;
        *(int *)b = t;
        return;
    }
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void insertion(char *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
    size_t i;
    for (i = 1; i < n; i++) {
        char *p = base + i * size;
        while (p > base && cmp(p - size, p) > 0) {
            swap_bytes(p - size, p, size);
            p -= size;
        }
    }
}

void qsort(void *base, size_t count, size_t size, int (*cmp)(const void *, const void *)) {
    char *b = base;
    while (count > 12) {
        char *lo = b;
        char *mid = b + (count / 2) * size;
        char *hi = b + (count - 1) * size;
        char *i;
        char *j;
        size_t left;
        size_t right;
        if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        }
        /* The pivot waits at the front while the rest is partitioned (Hoare's scheme). */
        swap_bytes(lo, mid, size);
        i = lo;
        j = hi + size;
        for (;;) {
            do i += size; while (i <= hi && cmp(i, lo) < 0);
            do j -= size; while (cmp(j, lo) > 0);
            if (i >= j) break;
            swap_bytes(i, j, size);
        }
        swap_bytes(lo, j, size);
        left = (size_t)(j - b) / size;
        right = count - left - 1;
        if (left < right) {
            qsort(b, left, size, cmp);
            b = j + size;
            count = right;
        } else {
            qsort(j + size, right, size, cmp);
            count = left;
        }
    }
    insertion(b, count, size, cmp);
}
