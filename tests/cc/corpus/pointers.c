/* Pointers: arithmetic, arrays of one and two dimensions, pointers to pointers and functions. */
#include <stdio.h>

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }

static void swap(int *a, int *b) {
    int t = *a;
    *a = *b;
    *b = t;
}

static int sum(const int *p, int n) {
    int s = 0;
    while (n-- > 0) s += *p++;
    return s;
}

static int grid[4][5];

int main(void) {
    int a[10];
    int i, j;
    int *p = a;
    int *q;
    int **pp = &p;
    int (*ops[3])(int, int) = { add, sub, mul };
    char text[] = "pointer";
    char *t;
    for (i = 0; i < 10; i++) a[i] = i * i;
    q = &a[9];
    printf("q - p = %d\n", (int)(q - p));
    printf("*(p + 3) = %d, p[4] = %d, 5[a] = %d\n", *(p + 3), p[4], 5[a]);
    printf("**pp = %d\n", **pp);
    (*pp)++;
    printf("after (*pp)++: *p = %d\n", *p);
    swap(&a[0], &a[9]);
    printf("swapped: %d %d\n", a[0], a[9]);
    printf("sum = %d\n", sum(a, 10));
    for (i = 0; i < 3; i++) printf("op%d(7, 3) = %d\n", i, ops[i](7, 3));
    for (i = 0; i < 4; i++)
        for (j = 0; j < 5; j++) grid[i][j] = i * 10 + j;
    printf("grid[2][3] = %d, *(*(grid + 3) + 1) = %d\n", grid[2][3], *(*(grid + 3) + 1));
    {
        int (*row)[5] = grid + 1;
        printf("row[1][4] = %d\n", row[1][4]);
    }
    for (t = text; *t; t++) *t = (char)(*t - 32);
    printf("%s\n", text);
    {
        int *r = &a[5];
        printf("r[-2] = %d, r > p: %d, r == &a[5]: %d\n", r[-2], r > p, r == &a[5]);
    }
    {
        void *v = a;
        int *back = v;
        printf("through void*: %d\n", back[2]);
    }
    return 0;
}
