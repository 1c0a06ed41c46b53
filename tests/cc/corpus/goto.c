/* goto: forward and backward jumps, leaving nested loops, a state machine. */
#include <stdio.h>

static int find(int grid[4][4], int want, int *row, int *col) {
    int i, j;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 4; j++)
            if (grid[i][j] == want) goto found;
    return 0;
found:
    *row = i;
    *col = j;
    return 1;
}

int main(void) {
    int grid[4][4];
    int i, j, r = -1, c = -1, n = 0;
    const char *input = "aab#ab##b";
    const char *p = input;
    int state = 0, words = 0;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 4; j++) grid[i][j] = i * 4 + j * 3;
    printf("found %d at %d,%d\n", find(grid, 13, &r, &c), r, c);
    printf("found %d\n", find(grid, 100, &r, &c));
again:
    n++;
    if (n < 10) goto again;
    printf("n = %d\n", n);
start:
    if (*p == 0) goto done;
    if (*p == '#') {
        if (state) words++;
        state = 0;
    } else {
        state = 1;
    }
    p++;
    goto start;
done:
    if (state) words++;
    printf("words = %d\n", words);
    return 0;
}
